/// The report's style sheet and script: inline, the only markup not built element by element.
/// The page's Content-Security-Policy admits these two by their SHA-256 and nothing else.
enum HTMLReportAssets {
    static let style: StaticString = """
        :root{color-scheme:light dark;--fg:#1b1f24;--bg:#fff;--muted:#59636e;--line:#d0d7de;--panel:#f6f8fa;\
        --bad:#c0171b;--ok:#1a7f37;--warn:#9a6700;--accent:#0969da;--bar:#8fb8e8;--bar2:#c7b3f0}
        @media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9198a1;--line:#3d444d;\
        --panel:#151b23;--bad:#ff6b6b;--ok:#4ac26b;--warn:#d29922;--accent:#4493f8;--bar:#2f5f94;--bar2:#5b4391}}
        body{font:14px/1.45 system-ui,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1200px;\
        padding:1em 1.5em}
        h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.2em;border-bottom:1px solid var(--line);padding-bottom:.2em;\
        margin-top:1.6em}h3{font-size:1em;margin:.8em 0 .3em}
        a{color:var(--accent)}nav a{margin-right:1em}
        code,.mono,td,svg text{font-family:ui-monospace,SFMono-Regular,Menlo,monospace}
        dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15em 1em;margin:.5em 0}dl.facts dt{color:var(--muted)}
        dl.facts dd{margin:0;overflow-wrap:anywhere}
        table{border-collapse:collapse;font-size:12.5px;margin:.5em 0}th,td{border:1px solid var(--line);padding:.2em .45em;\
        text-align:left;vertical-align:top}th{background:var(--panel)}td.n{text-align:right}
        th button{font:inherit;font-weight:600;background:none;border:0;color:inherit;cursor:pointer;padding:0}
        th[aria-sort=ascending] button::after{content:" \\25B2"}th[aria-sort=descending] button::after{content:" \\25BC"}
        .scroll{overflow-x:auto}
        .bad{color:var(--bad);font-weight:600}.ok{color:var(--ok)}.warn{color:var(--warn)}.muted{color:var(--muted)}
        details{border:1px solid var(--line);border-radius:6px;padding:.3em .7em;margin:.5em 0;background:var(--bg)}
        details>summary{cursor:pointer;font-weight:600}details details{background:var(--panel)}
        ol.findings li{margin:.2em 0}.sev{display:inline-block;min-width:5.5em;font-weight:700}
        svg{max-width:100%;height:auto;display:block}svg text{font-size:11px;fill:var(--fg);\
        paint-order:stroke;stroke:var(--bg);stroke-width:3px;stroke-linejoin:round}svg .muted{fill:var(--muted)}
        svg .lifeline{stroke:var(--muted);stroke-dasharray:4 3}svg .arrow{stroke:var(--fg);fill:none}
        svg .arrow.failed{stroke:var(--bad);stroke-width:2;stroke-dasharray:6 3}svg text.failed{fill:var(--bad);font-weight:700}
        svg .head{fill:var(--fg)}svg .head.failed{fill:var(--bad)}svg .bar{fill:var(--bar)}svg .bar.child{fill:var(--bar2)}
        svg .spark{fill:var(--fg);opacity:.55}svg .mark{fill:var(--bad)}svg .gap{fill:var(--warn)}
        svg .link{stroke:var(--accent);fill:none;stroke-dasharray:3 2}svg .axis{stroke:var(--line)}
        ul.payloads{margin:.2em 0 .4em 1.2em;padding:0}ul.payloads li{overflow-wrap:anywhere;font-family:ui-monospace,monospace;font-size:12px}
        #violations{color:var(--bad)}
        @media print{body{max-width:none;padding:0}nav{display:none}details{break-inside:avoid}th button::after{content:""}}
        """

    static let script: StaticString = """
        "use strict";
        document.addEventListener("securitypolicyviolation",function(e){var l=document.getElementById("violations");\
        if(!l)return;var i=document.createElement("li");i.textContent="blocked by the page's policy: "+e.violatedDirective+\
        " "+e.blockedURI;l.appendChild(i);l.hidden=false;});
        function sortColumn(th){var body=th.closest("table").tBodies[0],i=th.cellIndex,\
        dir=th.getAttribute("aria-sort")==="ascending"?-1:1,rows=Array.prototype.slice.call(body.rows);\
        function key(c){var v=c.getAttribute("data-v");return v===null?NaN:parseFloat(v);}\
        rows.sort(function(a,b){var x=a.cells[i],y=b.cells[i],p=key(x),q=key(y);\
        var c=(!isNaN(p)&&!isNaN(q))?p-q:x.textContent.localeCompare(y.textContent);return c*dir;});\
        Array.prototype.forEach.call(th.parentNode.cells,function(h){h.removeAttribute("aria-sort");});\
        th.setAttribute("aria-sort",dir>0?"ascending":"descending");rows.forEach(function(r){body.appendChild(r);});}
        document.addEventListener("DOMContentLoaded",function(){document.documentElement.className="js";\
        document.querySelectorAll("table.sortable th").forEach(function(th){var b=document.createElement("button");b.type="button";b.textContent=th.textContent;\
        th.textContent="";th.appendChild(b);b.addEventListener("click",function(){sortColumn(th);});});});
        window.addEventListener("beforeprint",function(){document.querySelectorAll("details")\
        .forEach(function(d){d.open=true;});});
        """
}
