"""The report as people read it: Vietnamese labels, a chat summary, a workbook and a dashboard.

Shared by the `/baocao` staff command and `ketnoi report`; the figures come from
`storage.reports`. `workbook.render(fig) -> bytes` (XLSX), `dashboard.render(fig) -> bytes` (PNG),
`summary.text(fig) -> str`.
"""
