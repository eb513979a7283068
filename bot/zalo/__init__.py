"""Zalo channels over httpx: the Zalo Bot Platform (Telegram-like bots) and Zalo Official Accounts.

`bot_platform` (polling and webhook bots), `oa` (an Official Account's webhook and cs messages),
`tokens` (the OA's rotating OAuth token pair, encrypted at rest), `convert` (platform JSON to
`Incoming`, `Outgoing` to platform messages), `webhook` (the `ketnoi serve` routes).
"""
