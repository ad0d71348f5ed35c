"""The HTML reports' one stylesheet: the data-quality report (dataquality.report) and the
model-quality report (mlops_loop.model_quality.report). A module of its own so that the
model-quality function's cold start does not import the analyzer to style its page."""

STYLESHEET = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#222;background:#fafafa}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px}
.sub{color:#555;font-size:13px}
.badge{display:inline-block;padding:3px 10px;border-radius:12px;color:#fff;font-weight:600;font-size:13px}
table{border-collapse:collapse;font-size:13px;background:#fff}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f0f0f0}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.grid{display:flex;flex-wrap:wrap;gap:14px}
.card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 12px;width:430px}
.card h3{font-size:14px;margin:0 0 2px}
.card .meta{font-size:12px;color:#555;margin-bottom:4px}
.legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px;vertical-align:middle}
.flag{color:#c0392b;font-weight:600}
"""
