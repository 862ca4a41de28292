"""Credit (诚信): the blacklist of debarred organisations, and the one check every step uses."""
