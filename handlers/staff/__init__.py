"""Staff features: commands only the staff of a connection point may use.

Every handler here is wrapped by `handlers.staff.access.staff_only` (or `admin_only`), which
refuses everyone else politely and changes nothing.
"""
