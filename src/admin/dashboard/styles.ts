// The dashboard's one stylesheet, served as /admin/assets/dashboard.css (the
// CSP allows no inline style). Colours keep at least 4.5:1 contrast on their
// backgrounds, and focus is always visible for keyboard use.
export const DASHBOARD_CSS = `
:root { color-scheme: light; --ink: #1a1a1a; --muted: #4a4a4a; --line: #c8c8c8; --accent: #1f4e99; --danger: #a3220f; --bg: #ffffff; --band: #f2f4f7; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible { outline: 3px solid #e0a100; outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: var(--ink); color: #fff; padding: .5rem 1rem; }
.skip:focus { left: 0; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
header.top { display: flex; flex-wrap: wrap; align-items: center; gap: 1.5rem; padding: .6rem 1.5rem; background: #16243d; color: #fff; }
header.top .brand { font-weight: 700; }
header.top nav ul { display: flex; gap: 1rem; list-style: none; margin: 0; padding: 0; }
header.top nav a { color: #fff; text-decoration: none; padding: .2rem .1rem; }
header.top nav a[aria-current="page"] { border-bottom: 3px solid #ffd166; }
header.top .who { margin-left: auto; display: flex; align-items: center; gap: .75rem; }
header.top .role { color: #d9e2f2; }
main { max-width: 72rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.6rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.2rem; margin: 1.5rem 0 .5rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { background: var(--band); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.json { font-family: ui-monospace, monospace; font-size: .85rem; overflow-wrap: anywhere; }
table.audit td:nth-child(-n+3) { white-space: nowrap; }
tr.silent { color: var(--muted); }
form.setting { display: grid; gap: .35rem; max-width: 34rem; margin: .5rem 0 1rem; padding: 1rem; border: 1px solid var(--line); border-radius: 6px; }
form.inline { display: flex; flex-wrap: wrap; gap: .6rem; align-items: center; margin: .5rem 0; }
form.filters { display: flex; flex-wrap: wrap; gap: 1rem; align-items: flex-end; margin-bottom: 1rem; }
form.filters > div { display: grid; gap: .25rem; }
form.confirm { padding: 1rem; border: 2px solid var(--danger); border-radius: 6px; }
label { font-weight: 600; }
input, select { font: inherit; padding: .4rem .5rem; border: 1px solid #767676; border-radius: 4px; color: var(--ink); background: #fff; }
input[aria-invalid="true"] { border: 2px solid var(--danger); }
.check { display: flex; gap: .5rem; align-items: center; }
.check label { font-weight: 400; }
button, a.button { font: inherit; padding: .45rem .9rem; border-radius: 4px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; justify-self: start; text-decoration: none; display: inline-block; }
button.secondary { background: transparent; border-color: #fff; }
button.danger, a.button.danger { background: var(--danger); border-color: var(--danger); }
.hint { color: var(--muted); margin: 0; font-size: .9rem; }
.field-error, .error-text { color: var(--danger); font-weight: 600; margin: 0; }
.flash { background: #e6f2e6; border: 1px solid #2b6b1f; padding: .5rem .75rem; border-radius: 4px; }
.warn { color: var(--danger); }
.progress { display: inline-flex; gap: .5rem; align-items: center; }
progress { width: 10rem; height: 1rem; accent-color: var(--accent); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
.chart { margin: .5rem 0 1rem; }
.chart svg { max-width: 100%; height: auto; border: 1px solid var(--line); background: #fff; }
.chart figcaption { color: var(--muted); font-size: .9rem; }
.legend { display: flex; gap: 1.5rem; list-style: none; padding: 0; margin: .25rem 0; }
code { font-family: ui-monospace, monospace; background: var(--band); padding: 0 .25rem; border-radius: 3px; }
`;
