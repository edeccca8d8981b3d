import Mustache

/// The console's pages as Mustache templates, compiled into the binary so that a deployment carries no
/// resource folder. Every `{{value}}` is HTML-escaped; nothing here uses the unescaped `{{{ }}}` form.
enum ConsoleTemplates {
    static func library() throws -> MustacheLibrary {
        var library = MustacheLibrary()
        for (name, text) in all { try library.register(text, named: name) }
        return library
    }

    static let all: [(String, String)] = [
        ("layout", layout), ("sign-in", signIn), ("overview", overview), ("endpoints", endpoints),
        ("secret", secret), ("requests", requests), ("timeline", timeline), ("dead-letters", deadLetters),
        ("confirm-replay", confirmReplay), ("problem", problem), ("filter-fields", filterFields),
    ]

    static let layout = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{$title}}Console{{/title}} · WebhookRelay</title>
        <link rel="stylesheet" href="/console/assets/console.css">
        <script src="/console/assets/console.js" defer></script>
        </head>
        <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <a class="brand" href="/console">WebhookRelay</a>
          {{#signedIn}}
          <nav aria-label="Console">
            <a href="/console"{{#nav.overview}} aria-current="page"{{/nav.overview}}>Overview</a>
            <a href="/console/endpoints"{{#nav.endpoints}} aria-current="page"{{/nav.endpoints}}>Endpoints</a>
            <a href="/console/requests"{{#nav.requests}} aria-current="page"{{/nav.requests}}>Requests</a>
            <a href="/console/dead-letters"{{#nav.deadLetters}} aria-current="page"{{/nav.deadLetters}}>Dead letters</a>
          </nav>
          <form method="post" action="/console/sign-out" class="sign-out">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <button type="submit">Sign out</button>
          </form>
          {{/signedIn}}
        </header>
        <main id="main" tabindex="-1">
        {{#notice}}<p class="notice" role="status">{{notice}}</p>{{/notice}}
        {{$content}}{{/content}}
        </main>
        <footer class="bottom">Times are shown in your time zone. <span class="muted">{{version}}</span></footer>
        </body>
        </html>
        """

    static let signIn = """
        {{<layout}}
        {{$title}}Sign in{{/title}}
        {{$content}}
        <h1>Sign in</h1>
        <form method="post" action="/console/sign-in" class="panel narrow">
          <input type="hidden" name="csrf" value="{{signInToken}}">
          <input type="hidden" name="next" value="{{next}}">
          <label for="token">Admin token</label>
          <input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
          <p class="hint">The relay's <code>admin_token</code> (<code>RELAY_ADMIN_TOKEN</code>). A session lasts {{sessionHours}} hours.</p>
          {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
          <button type="submit">Sign in</button>
        </form>
        {{/content}}
        {{/layout}}
        """

    static let overview = """
        {{<layout}}
        {{$title}}Overview{{/title}}
        {{$content}}
        <h1>Overview</h1>
        <div class="cards">
          <section class="card" aria-labelledby="requests-heading">
            <h2 id="requests-heading">Requests by state</h2>
            <dl>{{#requestStates}}<dt>{{name}}</dt><dd>{{count}}</dd>{{/requestStates}}</dl>
          </section>
          <section class="card" aria-labelledby="outbox-heading">
            <h2 id="outbox-heading">Outbox</h2>
            <dl>{{#outbox}}<dt>{{name}}</dt><dd>{{count}}</dd>{{/outbox}}</dl>
            <p><a href="/console/dead-letters">Dead letters: {{deadLetters}}</a></p>
          </section>
          <section class="card" aria-labelledby="hour-heading">
            <h2 id="hour-heading">Last hour</h2>
            <dl><dt>delivered attempts</dt><dd>{{hour.delivered}}</dd><dt>failed attempts</dt><dd>{{hour.failed}}</dd></dl>
          </section>
        </div>
        <section aria-labelledby="chart-heading">
          <h2 id="chart-heading">The last hour, minute by minute</h2>
          <div class="charts">
            <figure><img src="/console/charts/activity.svg?m={{chartStamp}}" width="720" height="242" alt="Attempts delivered, attempts failed and dead letters per minute over the last hour."><figcaption>Attempts delivered and failed, and dead letters, per minute.</figcaption></figure>
            <figure><img src="/console/charts/latency.svg?m={{chartStamp}}" width="720" height="242" alt="Delivery latency from enqueue to delivery per minute over the last hour: the 50th, 90th and 99th percentiles, log scale."><figcaption>Delivery latency (enqueue to delivered): p50, p90, p99 per minute, log scale.</figcaption></figure>
          </div>
        </section>
        <section aria-labelledby="circuits-heading">
          <h2 id="circuits-heading">Open circuits</h2>
          {{#hasOpenCircuits}}
          <div class="scroll"><table>
            <thead><tr><th scope="col">Endpoint</th><th scope="col">Circuit</th><th scope="col">Failures in a row</th><th scope="col">Next probe</th></tr></thead>
            <tbody>{{#openCircuits}}<tr><td><a href="/console/endpoints#ep-{{name}}">{{name}}</a></td><td><span class="badge bad">{{circuit}}</span></td><td>{{consecutive_failures}}</td><td>{{#next_probe_at}}<time datetime="{{.}}">{{.}}</time>{{/next_probe_at}}</td></tr>{{/openCircuits}}</tbody>
          </table></div>
          {{/hasOpenCircuits}}
          {{^hasOpenCircuits}}<p>Every endpoint's circuit is closed.</p>{{/hasOpenCircuits}}
        </section>
        {{/content}}
        {{/layout}}
        """

    static let endpoints = """
        {{<layout}}
        {{$title}}Endpoints{{/title}}
        {{$content}}
        <h1>Endpoints</h1>
        <p class="muted">Success rate and last error over the last 24 hours.</p>
        {{^hasItems}}<p>No endpoint is registered. Register one with <code>POST /api/v1/endpoints</code>.</p>{{/hasItems}}
        {{#hasItems}}
        <div class="scroll"><table>
          <thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">State</th><th scope="col">Circuit</th><th scope="col">Success</th><th scope="col">Last error</th><th scope="col">Actions</th></tr></thead>
          <tbody>
          {{#items}}
          <tr id="ep-{{name}}">
            <td><strong>{{name}}</strong><br><span class="muted url">{{url}}</span></td>
            <td>{{role}}</td>
            <td>{{#enabled}}<span class="badge good">enabled</span>{{/enabled}}{{^enabled}}<span class="badge bad">disabled</span><br><span class="muted">{{disabled_reason}}</span>{{/enabled}}</td>
            <td><span class="badge {{circuitClass}}">{{circuit}}</span>{{#failingInARow}}<br><span class="muted">{{failingInARow}} failed in a row</span>{{/failingInARow}}</td>
            <td>{{successRate}}<br><span class="muted">{{delivered}} ok / {{failed}} failed</span></td>
            <td>{{#lastError}}<span class="excerpt">{{lastError}}</span><br><time datetime="{{lastErrorAt}}">{{lastErrorAt}}</time>{{/lastError}}{{^lastError}}—{{/lastError}}</td>
            <td class="actions">
              {{#declared_in}}<span class="muted">declared in {{declared_in}}: change it there</span>{{/declared_in}}
              {{^declared_in}}
              <form method="post" action="/console/endpoints/{{id}}/{{#enabled}}disable{{/enabled}}{{^enabled}}enable{{/enabled}}">
                <input type="hidden" name="csrf" value="{{csrf}}">
                <button type="submit">{{#enabled}}Disable{{/enabled}}{{^enabled}}Enable{{/enabled}}</button>
              </form>
              <form method="post" action="/console/endpoints/{{id}}/rotate-secret" data-confirm="Rotate the signing secret of {{name}}? The new secret is shown once; the old one keeps signing for the rotation grace.">
                <input type="hidden" name="csrf" value="{{csrf}}">
                <button type="submit">Rotate secret</button>
              </form>
              {{/declared_in}}
            </td>
          </tr>
          {{/items}}
          </tbody>
        </table></div>
        {{/hasItems}}
        {{/content}}
        {{/layout}}
        """

    static let secret = """
        {{<layout}}
        {{$title}}New secret{{/title}}
        {{$content}}
        <h1>New signing secret for {{name}}</h1>
        <div class="panel">
          <p><strong>Copy it now: it is shown only this once.</strong> Configure it in the adapter; the previous secret keeps signing until <time datetime="{{previous_secret_expires_at}}">{{previous_secret_expires_at}}</time>.</p>
          <p><code class="secret" id="secret">{{secret}}</code> <button type="button" data-copy="secret">Copy</button></p>
          <p><a href="/console/endpoints">Back to endpoints</a></p>
        </div>
        {{/content}}
        {{/layout}}
        """

    static let requests = """
        {{<layout}}
        {{$title}}Requests{{/title}}
        {{$content}}
        <h1>Requests</h1>
        <form method="get" action="/console/requests" class="inline" role="search">
          <label for="q">Request id or correlation id</label> <input id="q" name="q" value="{{query}}" required> <button type="submit">Show</button>
        </form>
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        <form method="get" action="/console/requests" class="filters" aria-label="Filters">
          <label>State <select name="state">{{#states}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/states}}</select></label>
          <label>Kind <select name="kind">{{#kinds}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/kinds}}</select></label>
          <label>Endpoint <input name="endpoint" value="{{filter.endpoint}}"></label>
          <label>Since <input name="since" value="{{filter.since}}" placeholder="2026-12-01T00:00:00Z"></label>
          <label>Until <input name="until" value="{{filter.until}}" placeholder="unix seconds or ISO 8601"></label>
          <button type="submit">Filter</button>
        </form>
        {{^hasItems}}<p>No request matches.</p>{{/hasItems}}
        {{#hasItems}}
        <div class="scroll"><table>
          <thead><tr><th scope="col">Created</th><th scope="col">Request</th><th scope="col">Kind · tool</th><th scope="col">State</th><th scope="col">Decided</th><th scope="col">Deadline</th></tr></thead>
          <tbody>
          {{#items}}
          <tr>
            <td><time datetime="{{created_at}}">{{created_at}}</time></td>
            <td><a href="/console/requests/{{id}}">{{correlation_id}}</a><br><span class="muted"><code>{{id}}</code></span></td>
            <td>{{kind}} · {{tool}}{{#min_approvals}}<br><span class="muted">needs {{min_approvals}} approvals</span>{{/min_approvals}}</td>
            <td><span class="badge state-{{state}}">{{state}}</span></td>
            <td>{{#decided_at}}<time datetime="{{decided_at}}">{{decided_at}}</time>{{#decision_actor}}<br><span class="muted">{{decision_actor}}</span>{{/decision_actor}}{{/decided_at}}{{^decided_at}}—{{/decided_at}}</td>
            <td><time datetime="{{deadline}}">{{deadline}}</time></td>
          </tr>
          {{/items}}
          </tbody>
        </table></div>
        {{/hasItems}}
        {{#nextPage}}<p><a href="{{nextPage}}">Older requests →</a></p>{{/nextPage}}
        {{/content}}
        {{/layout}}
        """

    static let timeline = """
        {{<layout}}
        {{$title}}Request {{correlation_id}}{{/title}}
        {{$content}}
        <form method="get" action="/console/requests" class="inline" role="search">
          <label for="q">Request id or correlation id</label> <input id="q" name="q" value="{{correlation_id}}"> <button type="submit">Show</button>
        </form>
        <h1>Request {{correlation_id}}</h1>
        <dl class="facts">
          <dt>State</dt><dd><span class="badge state-{{state}}">{{state}}</span></dd>
          <dt>Id</dt><dd><code>{{id}}</code></dd>
          <dt>Kind</dt><dd>{{kind}} · {{tool}}</dd>
          <dt>Created</dt><dd><time datetime="{{created_at}}">{{created_at}}</time></dd>
          <dt>Deadline</dt><dd><time datetime="{{deadline}}">{{deadline}}</time></dd>
          {{#decided_at}}<dt>Decided</dt><dd><time datetime="{{decided_at}}">{{decided_at}}</time>{{#decision_actor}} by {{decision_actor}}{{/decision_actor}}{{#decision_reason}}: “{{decision_reason}}”{{/decision_reason}}</dd>{{/decided_at}}
          {{#control_plane_state}}<dt>Control plane</dt><dd>{{control_plane_state}}</dd>{{/control_plane_state}}
          {{#flag}}<dt>Flag</dt><dd class="error">{{flag}}</dd>{{/flag}}
        </dl>
        {{#canCancel}}
        <form method="post" action="/console/requests/{{id}}/cancel" class="inline bulk" data-confirm="Cancel request {{correlation_id}}? Its unsent deliveries stop and the cancel is forwarded to its callback URL and the control plane.">
          <input type="hidden" name="csrf" value="{{csrf}}">
          <label for="reason">Reason</label> <input id="reason" name="reason" maxlength="1000" placeholder="why (forwarded with the cancel)">
          <button type="submit" class="danger">Cancel this request</button>
        </form>
        {{/canCancel}}
        {{#content}}
        <section class="panel" aria-labelledby="content-heading">
          <h2 id="content-heading">What is asked: {{toolName}}{{#toolTitle}} <span class="muted">({{toolTitle}})</span>{{/toolTitle}}</h2>
          {{#question}}<p><strong>{{question}}</strong></p><ul>{{#options}}<li>{{.}}</li>{{/options}}</ul>{{#allowCustom}}<p class="muted">A custom answer is allowed.</p>{{/allowCustom}}{{/question}}
          <dl>{{#texts}}<dt>{{label}}</dt><dd>{{text}}</dd>{{/texts}}</dl>
          {{#links.0}}<p>Code: {{#links}}{{#url}}<a href="{{url}}" rel="noreferrer noopener">{{text}}</a>{{/url}}{{^url}}{{text}}{{/url}} {{/links}}</p>{{/links.0}}
          {{#arguments}}<details open><summary>Arguments</summary><pre class="excerpt">{{arguments}}</pre></details>{{/arguments}}
        </section>
        {{/content}}
        {{#approval_policy}}
        <section aria-labelledby="votes-heading">
          <h2 id="votes-heading">Votes: {{approvals}} of {{min_approvals}} approvals</h2>
          {{^votes}}<p class="muted">No vote yet.</p>{{/votes}}
          {{#votes.0}}<div class="scroll"><table>
            <thead><tr><th scope="col">Cast</th><th scope="col">Endpoint</th><th scope="col">Vote</th><th scope="col">Reason</th><th scope="col">Via</th></tr></thead>
            <tbody>{{#votes}}<tr><td><time datetime="{{cast_at}}">{{cast_at}}</time></td><td>{{endpoint}}</td><td><span class="badge state-{{decision}}">{{decision}}</span></td><td>{{reason}}</td><td>{{path}}{{#actor}} · {{actor}}{{/actor}}</td></tr>{{/votes}}</tbody>
          </table></div>{{/votes.0}}
        </section>
        {{/approval_policy}}
        {{#escalation.0}}
        <section aria-labelledby="escalation-heading">
          <h2 id="escalation-heading">Escalation</h2>
          <ul>{{#escalation}}<li>after {{after_sec}} s (<time datetime="{{due_at}}">{{due_at}}</time>): {{#endpoints}}{{.}} {{/endpoints}}— {{#fired}}<span class="badge">fired</span>{{/fired}}{{^fired}}<span class="badge">waiting</span>{{/fired}}</li>{{/escalation}}</ul>
        </section>
        {{/escalation.0}}
        {{#hasCallbacks}}
        <section aria-labelledby="callbacks-heading">
          <h2 id="callbacks-heading">Callbacks</h2>
          <div class="scroll"><table>
            <thead><tr><th scope="col">Received</th><th scope="col">Door</th><th scope="col">From</th><th scope="col">Decision</th><th scope="col">Outcome</th><th scope="col">Body</th></tr></thead>
            <tbody>{{#callbacks}}<tr><td><time datetime="{{received_at}}">{{received_at}}</time></td><td>{{path}}</td><td>{{endpoint}}{{#actor}} · {{actor}}{{/actor}}</td><td>{{decision}}</td><td><span class="badge">{{outcome}}</span></td><td><span class="excerpt">{{body_excerpt}}</span></td></tr>{{/callbacks}}</tbody>
          </table></div>
        </section>
        {{/hasCallbacks}}
        {{#messages}}
        <section class="message" aria-labelledby="msg-{{id}}">
          <h2 id="msg-{{id}}">{{purposeLabel}} to {{endpoint}} <span class="badge state-{{state}}">{{state}}</span></h2>
          <p class="muted"><code>{{id}}</code> · {{attempt_count}} attempt(s){{#dead_reason}} · dead: {{dead_reason}}{{/dead_reason}}{{#isPending}} · due <time datetime="{{due_at}}">{{due_at}}</time>{{/isPending}}{{#isSuperseded}} · never sent: the request was resolved first{{/isSuperseded}}</p>
          {{#isDead}}
          <form method="post" action="/console/dead-letters/{{id}}/replay">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <button type="submit">Replay this dead letter</button>
          </form>
          {{/isDead}}
          {{#hasAttempts}}
          <div class="scroll"><table>
            <caption class="visually-hidden">Attempts of {{id}}</caption>
            <thead><tr><th scope="col">#</th><th scope="col">Started</th><th scope="col">Outcome</th><th scope="col">Status</th><th scope="col">Duration</th><th scope="col">Error or response</th></tr></thead>
            <tbody>{{#attempts}}<tr><td>{{number}}</td><td><time datetime="{{started_at}}">{{started_at}}</time></td><td><span class="badge outcome-{{outcome}}">{{outcome}}</span></td><td>{{status_code}}</td><td>{{duration_ms}} ms</td><td><span class="excerpt">{{error}}{{#error}}{{#response_excerpt}} · {{/response_excerpt}}{{/error}}{{response_excerpt}}</span></td></tr>{{/attempts}}</tbody>
          </table></div>
          {{/hasAttempts}}
        </section>
        {{/messages}}
        {{#hasAudit}}
        <section aria-labelledby="audit-heading">
          <h2 id="audit-heading">Audit trail</h2>
          <p class="muted">Entries of the relay's hash chain for this request; <code>webhook-relay audit verify</code> checks the whole chain.</p>
          <div class="scroll"><table>
            <thead><tr><th scope="col">#</th><th scope="col">Recorded</th><th scope="col">Kind</th><th scope="col">Decision</th><th scope="col">Path</th><th scope="col">Endpoint · actor</th><th scope="col">Reason</th><th scope="col">Hash</th></tr></thead>
            <tbody>{{#audit}}<tr><td>{{seq}}</td><td><time datetime="{{recorded_at}}">{{recorded_at}}</time></td><td>{{kind}}</td><td>{{decision}}</td><td>{{path}}</td><td>{{endpoint}}{{#actor}} · {{actor}}{{/actor}}</td><td>{{reason}}</td><td><span class="excerpt" title="{{hash}}">{{hash}}</span></td></tr>{{/audit}}</tbody>
          </table></div>
        </section>
        {{/hasAudit}}
        {{/content}}
        {{/layout}}
        """

    static let deadLetters = """
        {{<layout}}
        {{$title}}Dead letters{{/title}}
        {{$content}}
        <h1>Dead letters</h1>
        <form method="get" action="/console/dead-letters" class="filters" aria-label="Filters">
          <label>Endpoint <input name="endpoint" value="{{filter.endpoint}}"></label>
          <label>Kind <select name="kind">{{#kinds}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/kinds}}</select></label>
          <label>Reason <select name="reason">{{#reasons}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{label}}</option>{{/reasons}}</select></label>
          <label>Since <input name="since" value="{{filter.since}}" placeholder="2026-11-26T00:00:00Z"></label>
          <label>Until <input name="until" value="{{filter.until}}" placeholder="unix seconds or ISO 8601"></label>
          <button type="submit">Filter</button>
        </form>
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        <form method="post" action="/console/dead-letters/replay" class="bulk">
          <input type="hidden" name="csrf" value="{{csrf}}">
          {{> filter-fields}}
          <button type="submit">Replay every dead letter matching these filters…</button>
        </form>
        {{^hasItems}}<p>No dead letter matches.</p>{{/hasItems}}
        {{#hasItems}}
        <div class="scroll"><table>
          <thead><tr><th scope="col">Died</th><th scope="col">Request</th><th scope="col">Endpoint</th><th scope="col">Reason</th><th scope="col">Attempts</th><th scope="col">Last error</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
          {{#items}}
          <tr>
            <td><time datetime="{{dead_at}}">{{dead_at}}</time></td>
            <td><a href="/console/requests/{{request_id}}">{{correlation_id}}</a><br><span class="muted">{{kind}} · {{purpose}}</span></td>
            <td>{{endpoint}}</td>
            <td><span class="badge bad">{{reason}}</span></td>
            <td>{{attempt_count}}</td>
            <td><span class="excerpt">{{last_error}}</span></td>
            <td><form method="post" action="/console/dead-letters/{{message_id}}/replay"><input type="hidden" name="csrf" value="{{csrf}}"><button type="submit">Replay</button></form></td>
          </tr>
          {{/items}}
          </tbody>
        </table></div>
        {{/hasItems}}
        {{#nextPage}}<p><a href="{{nextPage}}">Older dead letters →</a></p>{{/nextPage}}
        {{/content}}
        {{/layout}}
        """

    static let confirmReplay = """
        {{<layout}}
        {{$title}}Confirm bulk replay{{/title}}
        {{$content}}
        <h1>Replay {{count}} dead letter(s)?</h1>
        <div class="panel">
          <p>A dry run found <strong id="dry-run-count">{{count}}</strong> dead letter(s) matching: {{description}}.
          Each goes back to pending with its idempotency key and attempt history, and is delivered again.</p>
          <form method="post" action="/console/dead-letters/replay">
            <input type="hidden" name="csrf" value="{{csrf}}">
            <input type="hidden" name="confirm" value="yes">
            {{> filter-fields}}
            <button type="submit" class="danger"{{^canReplay}} disabled{{/canReplay}}>Replay {{count}} dead letter(s)</button>
            <a href="/console/dead-letters">Cancel</a>
          </form>
        </div>
        {{/content}}
        {{/layout}}
        """

    /// The dead-letter filters carried by a bulk-replay form, from its preview to its confirmation.
    static let filterFields = """
        {{#filter}}<input type="hidden" name="endpoint" value="{{endpoint}}"><input type="hidden" name="kind" value="{{kind}}"><input type="hidden" name="reason" value="{{reason}}"><input type="hidden" name="since" value="{{since}}"><input type="hidden" name="until" value="{{until}}">{{/filter}}
        """

    static let problem = """
        {{<layout}}
        {{$title}}{{heading}}{{/title}}
        {{$content}}
        <h1>{{heading}}</h1>
        <p class="error" role="alert">{{message}}</p>
        <p><a href="{{back}}">Go back</a></p>
        {{/content}}
        {{/layout}}
        """
}
