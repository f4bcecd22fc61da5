"""Entry point for gunicorn: `gunicorn -w 4 wsgi:app`."""
import gc

from app import create_app

app = create_app()
# Everything built at start-up lives as long as the process: keep it out of the garbage collector's
# full passes, which otherwise land inside page renders (see bench/RESULTS-boards.md).
gc.freeze()
