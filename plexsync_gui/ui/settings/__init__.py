"""The settings dialog: its pages, the connection test, the path-map table and the launch-at-login switch."""
