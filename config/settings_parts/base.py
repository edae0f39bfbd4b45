"""What every group of settings derives from: where the project lives, DEBUG (and the secret key it allows to
be missing), and the data folder.
"""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-development-key-only-for-debug-runs-never-in-production"  # noqa: S105

# The embedded run's database, reports, exports and uploaded files live below it unless told otherwise.
DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / ".data")))
