"""Results for the committee: the Excel workbook, the publicity list (公示名单) and the
data behind the charts."""
