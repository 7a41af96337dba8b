"""Settings for the whole test session (the book's notebooks and tests/).

``check`` keeps a warm interpreter running after it ends, for the next check (autograder/warm.py);
the tests start many (one per course folder they build), so theirs end after 30 idle seconds.
"""

import os

os.environ.setdefault("AUTOGRADER_WARM_IDLE", "30")
