"""Server-rendered Chinese pages per role (Jinja2), with a little vanilla JS served locally."""
