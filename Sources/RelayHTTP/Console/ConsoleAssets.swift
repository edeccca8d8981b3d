/// The console's only assets, served by the relay itself: no CDN, no build step, no third-party files.
enum ConsoleAssets {
    static let stylesheet = """
        :root { --fg: #1d232b; --muted: #5b6573; --bg: #f6f7f9; --panel: #fff; --line: #d9dde3; --accent: #1f5fbf;
                --good: #1d7a3a; --bad: #b42318; --warn: #9a6700; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; }
        * { box-sizing: border-box; }
        body { margin: 0; color: var(--fg); background: var(--bg); line-height: 1.45; }
        a { color: var(--accent); }
        :focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
        .skip { position: absolute; left: -999px; top: 0; background: var(--panel); padding: .5rem; }
        .skip:focus { left: .5rem; z-index: 10; }
        .top { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1.25rem; padding: .6rem 1.25rem;
               background: #14213d; color: #fff; }
        .top a { color: #fff; text-decoration: none; }
        .brand { font-weight: 700; letter-spacing: .02em; }
        .top nav { display: flex; flex-wrap: wrap; gap: .25rem 1rem; flex: 1; }
        .top nav a { padding: .2rem .1rem; border-bottom: 2px solid transparent; }
        .top nav a[aria-current="page"] { border-bottom-color: #fff; }
        .sign-out button { background: transparent; color: #fff; border-color: #8593b0; }
        main { max-width: 1240px; margin: 0 auto; padding: 1rem 1.25rem 2rem; }
        h1 { font-size: 1.5rem; margin: .5rem 0 1rem; }
        h2 { font-size: 1.1rem; margin: 1.25rem 0 .5rem; }
        .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); gap: 1rem; }
        .card, .panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: .75rem 1rem; }
        .card h2 { margin-top: 0; }
        .narrow { max-width: 28rem; }
        dl { display: grid; grid-template-columns: auto 1fr; gap: .2rem 1rem; margin: 0; }
        dt { color: var(--muted); } dd { margin: 0; font-variant-numeric: tabular-nums; }
        .facts { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: .75rem 1rem; }
        .scroll { overflow-x: auto; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; }
        table { border-collapse: collapse; width: 100%; font-size: .92rem; }
        th, td { text-align: left; padding: .45rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { background: #eef1f5; font-weight: 600; }
        .muted { color: var(--muted); font-size: .88rem; }
        .url { word-break: break-all; }
        .excerpt { font-family: ui-monospace, monospace; font-size: .82rem; word-break: break-word; }
        .badge { display: inline-block; padding: .05rem .45rem; border-radius: 999px; font-size: .8rem; border: 1px solid var(--line); background: #eef1f5; }
        .good, .state-delivered, .state-approved, .outcome-delivered { color: var(--good); border-color: #9fd3ae; background: #ecf8ef; }
        .bad, .state-dead, .state-denied, .state-expired, .outcome-permanent { color: var(--bad); border-color: #f0b4ae; background: #fdf0ef; }
        .warn, .state-pending, .state-inflight, .outcome-retryable { color: var(--warn); border-color: #e7cf8f; background: #fdf8e8; }
        .state-superseded, .state-cancelled, .state-abandoned { color: var(--muted); }
        .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 1rem; }
        .charts figure { margin: 0; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: .5rem; }
        .charts img { width: 100%; height: auto; }
        .charts figcaption { color: var(--muted); font-size: .85rem; }
        pre.excerpt { white-space: pre-wrap; margin: .25rem 0; }
        label { display: block; font-weight: 600; margin: .4rem 0 .2rem; }
        input, select, button { font: inherit; padding: .4rem .6rem; border: 1px solid #aab2bf; border-radius: 6px; background: #fff; color: var(--fg); }
        input { width: 100%; }
        button { cursor: pointer; background: var(--accent); color: #fff; border-color: var(--accent); margin-top: .4rem; }
        button.danger { background: var(--bad); border-color: var(--bad); }
        button[disabled] { opacity: .5; cursor: not-allowed; }
        .actions form { display: inline-block; margin: 0 .3rem .3rem 0; }
        .actions button, td form button { margin: 0; padding: .25rem .55rem; font-size: .88rem; }
        .filters { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: .5rem; align-items: end; margin-bottom: .75rem; }
        .filters label { font-weight: 500; margin: 0; }
        .filters input, .filters select { display: block; width: 100%; margin-top: .2rem; }
        .filters button { margin: 0; }
        .inline { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
        .inline input { width: auto; flex: 1; min-width: 12rem; } .inline label { margin: 0; }
        .bulk { margin: .5rem 0 1rem; }
        .message { margin-top: 1.25rem; }
        .notice { background: #ecf8ef; border: 1px solid #9fd3ae; padding: .5rem .75rem; border-radius: 6px; }
        .error { color: var(--bad); }
        .secret { font-size: 1rem; padding: .3rem .5rem; background: #eef1f5; border-radius: 4px; word-break: break-all; }
        .bottom { max-width: 1240px; margin: 0 auto; padding: 0 1.25rem 1.5rem; color: var(--muted); font-size: .85rem; }
        .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
        @media (max-width: 640px) { .top { padding: .5rem .75rem; } main { padding: .75rem; } th, td { padding: .35rem .4rem; } }
        """

    /// Local times, confirmation of destructive forms, and copying a new secret. Pages work without it.
    static let script = """
        document.querySelectorAll("time[datetime]").forEach(function (element) {
          var when = new Date(element.getAttribute("datetime"));
          if (!isNaN(when)) { element.textContent = when.toLocaleString(); element.title = element.getAttribute("datetime"); }
        });
        document.querySelectorAll("form[data-confirm]").forEach(function (form) {
          form.addEventListener("submit", function (event) {
            if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
          });
        });
        document.querySelectorAll("button[data-copy]").forEach(function (button) {
          button.addEventListener("click", function () {
            var text = document.getElementById(button.getAttribute("data-copy")).textContent;
            if (navigator.clipboard) { navigator.clipboard.writeText(text).then(function () { button.textContent = "Copied"; }); }
          });
        });
        """
}
