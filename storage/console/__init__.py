"""Reads and writes behind the staff web console (`bot.admin`), scoped to a staff member's point.

Every list is paged in SQL (one query for the page, one for the total) and joins what each row
shows, so a page costs the same few queries however many rows it holds.
"""
