"""Back office (interne taak): work forwarded with a term; out-of-hours care."""
