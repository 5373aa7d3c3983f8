// The search page: reads the query, calls /api/search, lists the hits.
// Nothing from the server is ever inserted as HTML: text goes through
// textContent, and the only markup in a snippet (<mark>) is rebuilt as
// elements from the escaped text OpenSearch returns.
"use strict";

const form = document.getElementById("search-form");
const input = document.getElementById("q");
const statusLine = document.getElementById("status");
const results = document.getElementById("results");
const article = document.getElementById("document");

const entities = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decodeEntities(text) {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, name) => {
    if (name[0] === "#") {
      const code = name[1] === "x" || name[1] === "X"
        ? parseInt(name.slice(2), 16)
        : parseInt(name.slice(1), 10);
      return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return entities[name.toLowerCase()] ?? whole;
  });
}

function snippetNodes(snippet) {
  const out = [];
  let marked = false;
  for (const part of snippet.split(/(<mark>|<\/mark>)/)) {
    if (part === "<mark>") marked = true;
    else if (part === "</mark>") marked = false;
    else if (part !== "") {
      const text = document.createTextNode(decodeEntities(part));
      if (marked) {
        const mark = document.createElement("mark");
        mark.appendChild(text);
        out.push(mark);
      } else {
        out.push(text);
      }
    }
  }
  return out;
}

async function showDocument(id) {
  const response = await fetch(`/api/documents/${encodeURIComponent(id)}`);
  const doc = await response.json();
  if (!response.ok) {
    statusLine.textContent = doc.error ?? `error ${response.status}`;
    return;
  }
  document.getElementById("document-title").textContent = doc.title;
  document.getElementById("document-path").textContent = doc.path +
    (doc.recordKey ? ` (${doc.recordKey})` : "");
  document.getElementById("document-body").textContent = doc.body;
  article.hidden = false;
  article.scrollIntoView({ behavior: "smooth", block: "start" });
}

async function search(q) {
  statusLine.textContent = "Searching…";
  results.replaceChildren();
  article.hidden = true;
  let response;
  let answer;
  try {
    response = await fetch(`/api/search?q=${encodeURIComponent(q)}&size=20`);
    answer = await response.json();
  } catch (error) {
    statusLine.textContent = `Search failed: ${error}`;
    return;
  }
  if (!response.ok) {
    statusLine.textContent = answer.error ?? `Search failed with status ${response.status}`;
    return;
  }
  statusLine.textContent = answer.total === 1
    ? "1 document found"
    : `${answer.total} documents found`;
  for (const hit of answer.hits) {
    const item = document.createElement("li");
    item.className = "hit";
    item.dataset.id = hit.id;
    const link = document.createElement("a");
    link.href = `#document-${hit.id}`;
    link.className = "title";
    link.textContent = hit.title || `document ${hit.id}`;
    link.addEventListener("click", (event) => {
      event.preventDefault();
      showDocument(hit.id);
    });
    const snippet = document.createElement("p");
    snippet.className = "snippet";
    snippet.append(...snippetNodes(hit.snippet));
    const score = document.createElement("span");
    score.className = "score";
    score.textContent = `score ${hit.score.toFixed(2)}`;
    item.append(link, snippet, score);
    results.append(item);
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const q = input.value.trim();
  if (!q) return;
  history.replaceState(null, "", `/?q=${encodeURIComponent(q)}`);
  search(q);
});

const initial = new URLSearchParams(location.search).get("q");
if (initial) {
  input.value = initial;
  search(initial);
}
