"""`python -m plexsync_gui` starts the desktop app (the launch command used in development autostart entries)."""

import sys

from plexsync_gui.ui.app import main

sys.exit(main())
