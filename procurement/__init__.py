"""The platform: app factory, settings, CLI, identity and roles, audit log, pages."""
