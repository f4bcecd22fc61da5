"""Configuration for `rq cron app.cron_config` (production): registers every periodic job of app/schedule.py.

It ships inside the package, so an installed portal finds it from any folder. Run exactly one `rq cron`
process; its schedule lives in memory (see README)."""
import os

from rq import cron

from app.config import Config
from app.schedule import SCHEDULE, cron_expression, resolve

_config = {k: os.environ.get(k) for k in (s.config_key for s in SCHEDULE)}
for _item in SCHEDULE:
    cron.register(resolve(_item.func), queue_name=Config.RQ_QUEUE, cron=cron_expression(_config, _item),
                  job_timeout=6 * 3600)
