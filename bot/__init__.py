"""ketnoi bot: settings, channel contract, application core, channel adapters and CLI."""
