"""The workspace's URLs (``docs/workspace.md`` lists every page)."""

from django.urls import path

from balie.web.panels import privacy as privacy_panel
from balie.web.panels import replies as replies_panel
from balie.web.views import (
    auth,
    backoffice,
    composer,
    conduct,
    conversation,
    conversation_actions,
    inbox,
    offers,
    presence,
    privacy_sealed,
    rights,
    supervisor,
)

app_name = "web"

urlpatterns = [
    path("", auth.home, name="home"),
    path("accounts/login/", auth.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth.LogoutView.as_view(), name="logout"),
    path("accounts/login/code/", auth.login_otp, name="login_otp"),
    path("accounts/login/authenticator/", auth.otp_setup, name="otp_setup"),
    path("accounts/oidc/start/", auth.oidc_start, name="oidc_start"),
    path("accounts/oidc/callback/", auth.oidc_callback, name="oidc_callback"),
    path("i18n/setlang/", auth.set_language, name="set_language"),
    path("gesprekken/", inbox.inbox, name="inbox"),
    path("gesprekken/<id:pk>/", conversation.detail, name="conversation"),
    path("gesprekken/<id:pk>/live/", conversation.live, name="conversation_live"),
    path("gesprekken/<id:pk>/ouder/", conversation.older, name="conversation_older"),
    path("gesprekken/<id:pk>/antwoord/", composer.reply, name="reply"),
    path("gesprekken/<id:pk>/notitie/", composer.note, name="note"),
    path("gesprekken/<id:pk>/sjabloon/", composer.template, name="template"),
    path("gesprekken/<id:pk>/bestand/", composer.upload, name="upload"),
    path("gesprekken/<id:pk>/berichten/<id:message_pk>/opnieuw/", composer.retry, name="retry"),
    path("gesprekken/<id:pk>/overdragen/", conversation_actions.transfer, name="transfer"),
    path("gesprekken/<id:pk>/gegevens/", conversation_actions.facts, name="facts"),
    path("gesprekken/<id:pk>/privacy/", privacy_panel.accept, name="privacy_accept"),
    path(
        "gesprekken/<id:pk>/berichten/<id:message_id>/origineel/",
        privacy_sealed.unseal_message,
        name="privacy_unseal",
    ),
    path("privacy/terugbellen/", privacy_panel.callbacks, name="privacy_callbacks"),
    path(
        "privacy/terugbellen/<id:pk>/gebeld/",
        privacy_panel.callback_done,
        name="privacy_callback_done",
    ),
    path("gesprekken/<id:pk>/aanspreekvorm/", replies_panel.choose_tone, name="replies_tone"),
    path("gesprekken/<id:pk>/nawerk/", conversation_actions.wrap_up, name="wrap_up"),
    path("gesprekken/<id:pk>/status/<str:move>/", conversation_actions.status, name="status"),
    path("gesprekken/<id:pk>/gedrag/", conduct.step, name="conduct_step"),
    path(
        "gesprekken/<id:pk>/gedrag/blokkade/<id:block_pk>/<str:action>/",
        conduct.block,
        name="conduct_block",
    ),
    path("gedrag/", conduct.blocks, name="conduct_blocks"),
    path(
        "gedrag/blokkades/<id:block_pk>/<str:action>/",
        conduct.block_action,
        name="conduct_block_action",
    ),
    path("aanbiedingen/", offers.offers, name="offers"),
    path("aanbiedingen/<id:pk>/<str:answer>/", offers.answer, name="offer_answer"),
    path("supervisie/", supervisor.wall, name="supervisor"),
    path("supervisie/tabellen/", supervisor.tables, name="supervisor_tables"),
    path("supervisie/gesprekken/<id:pk>/", supervisor.steer, name="supervisor_steer"),
    path(
        "supervisie/gesprekken/<id:pk>/<str:action>/",
        supervisor.act,
        name="supervisor_act",
    ),
    path("status/", presence.presence, name="presence"),
    path("privacy/partijen/<id:pk>/", rights.party, name="rights_party"),
    path("privacy/partijen/<id:pk>/inzage.json", rights.party_json, name="rights_party_json"),
    path("privacy/partijen/<id:pk>/wissen/", rights.erase, name="rights_erase"),
    path("privacy/register/", rights.register, name="rights_register"),
    path("taken/", backoffice.task_list, name="backoffice_tasks"),
    path("taken/<id:pk>/", backoffice.task_detail, name="backoffice_task"),
    path("taken/<id:pk>/antwoord/", backoffice.task_answer, name="backoffice_answer"),
    path("taken/<id:pk>/verlengen/", backoffice.task_extend, name="backoffice_extend"),
    path("taken/<id:pk>/intrekken/", backoffice.task_withdraw, name="backoffice_withdraw"),
    path("gesprekken/<id:pk>/doorsturen/", backoffice.forward, name="backoffice_forward"),
    path("gesprekken/<id:pk>/nog-nodig/", backoffice.still_needed, name="still_needed"),
]
