"""Shim so `rq cron cron_config.py` from a checkout keeps working; the configuration lives in app/cron_config.py."""
from app.cron_config import *  # noqa: F401,F403  (importing it registers every periodic job with rq.cron)
