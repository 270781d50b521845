"""The agent workspace's views, one module per page: thin, they read through
``balie.conversations.access`` and change state through actions."""
