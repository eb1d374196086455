// The BERT Lens panel's webview script (plain browser JavaScript, no libraries): draws each
// section from the extension's `section` messages (see src/extension/panel-messages.ts for the
// message types), keeps the text and pin state across reloads, and reports back what it drew.
// Colours come from VS Code's --vscode-* CSS variables (panel.css), so every theme works.
// @ts-check
(function () {
  // eslint-disable-next-line no-undef
  const vscode = acquireVsCodeApi();
  const SVG = 'http://www.w3.org/2000/svg';
  /** @type {{text?: string, origin?: string, pinned?: boolean}} */
  const state = vscode.getState() || {};
  let currentRun = 0;

  const pinButton = /** @type {HTMLButtonElement} */ (document.getElementById('pin'));
  const refreshButton = /** @type {HTMLButtonElement} */ (document.getElementById('refresh'));
  const sourceLine = /** @type {HTMLElement} */ (document.getElementById('source'));

  function setPinned(pinned) {
    pinButton.setAttribute('aria-pressed', String(pinned));
    pinButton.textContent = pinned ? 'Following selection' : 'Follow selection';
    pinButton.classList.toggle('on', pinned);
  }
  setPinned(state.pinned ?? false);
  pinButton.addEventListener('click', () => {
    const pinned = pinButton.getAttribute('aria-pressed') !== 'true';
    setPinned(pinned);
    vscode.setState({ ...state, pinned });
    state.pinned = pinned;
    vscode.postMessage({ type: 'setPinned', pinned });
  });
  refreshButton.addEventListener('click', () => vscode.postMessage({ type: 'refresh' }));

  /** Shorthand for creating an element with a class and text. */
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function svg(tag, attributes) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, String(value));
    return node;
  }
  /** "52.3%", "1.23%", "0.00512%"; below 0.0001% just "<0.0001%" (no exponents). */
  function percent(score) {
    const p = score * 100;
    if (p > 0 && p < 0.0001) return '<0.0001%';
    return `${p >= 10 ? p.toFixed(1) : p.toPrecision(3)}%`;
  }
  /**
   * About `length` characters of `text` on each side of `range`, cut at word boundaries, with
   * "…" only where something was left out.
   */
  function around(text, range, length) {
    let start = Math.max(0, range[0] - length);
    let end = Math.min(text.length, range[1] + length);
    if (start > 0) start = text.indexOf(' ', start) + 1 || range[0];
    if (end < text.length) {
      const space = text.lastIndexOf(' ', end);
      end = space > range[1] ? space : range[1];
    }
    const squash = (part) => part.replace(/\s+/g, ' ');
    return {
      before: (start > 0 ? '…' : '') + squash(text.slice(Math.min(start, range[0]), range[0])),
      after: squash(text.slice(range[1], end)) + (end < text.length ? '…' : ''),
    };
  }
  function clip(text, length) {
    return text.length > length ? `${text.slice(0, length - 1)}…` : text;
  }

  /** A labelled horizontal bar: [label][bar][value]. */
  function bar(label, score, { strong = false } = {}) {
    const row = el('div', 'bar-row' + (strong ? ' strong' : ''));
    row.setAttribute('role', 'listitem');
    row.setAttribute('aria-label', `${label}: ${percent(score)}`);
    row.append(el('span', 'bar-label', label));
    const track = el('span', 'bar-track');
    const fill = el('span', 'bar-fill');
    fill.style.width = `${Math.max(0.5, Math.min(100, score * 100))}%`;
    track.append(fill);
    row.append(track, el('span', 'bar-value', percent(score)));
    return row;
  }
  function barList(rows) {
    const list = el('div', 'bars');
    list.setAttribute('role', 'list');
    list.append(...rows);
    return list;
  }

  // ---- sections -------------------------------------------------------------------------
  /** Each renderer fills `body` and returns a one-line summary of what it drew. */
  const renderers = {
    input(body, data) {
      const grid = el('div', 'tokens');
      grid.setAttribute('role', 'list');
      data.tokens.forEach((token, i) => {
        const chip = el('div', `token segment-${data.typeIds[i]}${data.sequenceIds[i] === null ? ' special' : ''}`);
        chip.setAttribute('role', 'listitem');
        chip.tabIndex = 0;
        chip.title = `piece ${i}: ${token}\nid ${data.ids[i]} · segment ${data.typeIds[i]} · attention mask ${data.attentionMask[i]}`;
        chip.append(el('span', 'piece', token), el('span', 'meta', String(data.ids[i])), el('span', 'meta', `seg ${data.typeIds[i]} · m ${data.attentionMask[i]}`));
        grid.append(chip);
      });
      const legend = el('p', 'note', `${data.tokens.length} word pieces${data.truncated ? ' (cut to the model’s maximum length)' : ''}. Each shows the piece, its vocabulary id, its segment id and its attention mask.`);
      body.append(legend, grid);
      return `${data.tokens.length} pieces: ${data.tokens.slice(0, 12).join(' ')}`;
    },
    masks(body, data) {
      data.masks.forEach((mask, i) => {
        const { before, after } = around(data.text, mask.range, 30);
        const heading = el('h3', 'mask-context');
        heading.append(el('span', 'dim', `${data.masks.length > 1 ? `[MASK] ${i + 1}: ` : ''}${before}`), el('strong', 'mask', '[MASK]'), el('span', 'dim', after));
        body.append(heading, barList(mask.predictions.map((p, k) => bar(p.token, p.score, { strong: k === 0 }))));
      });
      body.append(el('p', 'note', `${Math.round(data.latencyMs)} ms`));
      return data.masks.map((m) => m.predictions.slice(0, 3).map((p) => `${p.token} ${percent(p.score)}`).join(', ')).join(' | ');
    },
    labels(body, data) {
      body.append(el('p', 'note', `Head: ${data.head}`), barList(data.labels.map((l, k) => bar(l.label, l.score, { strong: k === 0 }))));
      return `${data.head}: ` + data.labels.map((l) => `${l.label} ${percent(l.score)}`).join(', ');
    },
    coherence(body, data) {
      const boundaries = data.boundaries;
      if (boundaries.length === 0) {
        body.append(el('p', 'note', 'No sentence boundaries to score.'));
        return 'no boundaries';
      }
      const threshold = data.weakThreshold;
      // Drawn at the section's width, one SVG unit per pixel, so the axis text is never scaled down.
      const width = Math.max(320, Math.min(720, body.clientWidth || 640));
      const height = 180;
      const pad = { left: 40, right: 24, top: 12, bottom: 28 };
      const plotW = width - pad.left - pad.right;
      const plotH = height - pad.top - pad.bottom;
      const x = (i) => pad.left + (boundaries.length === 1 ? plotW / 2 : (i * plotW) / (boundaries.length - 1));
      const y = (p) => pad.top + (1 - p) * plotH;
      const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, class: 'coherence-chart', role: 'img' });
      chart.setAttribute('aria-label', `P(IsNext) at ${boundaries.length} sentence boundaries; weakest ${percent(data.summary.min ?? 0)}`);
      for (const tick of [0, 0.5, 1]) {
        chart.append(svg('line', { x1: pad.left, x2: width - pad.right, y1: y(tick), y2: y(tick), class: 'grid' }));
        const label = svg('text', { x: pad.left - 6, y: y(tick) + 4, class: 'axis', 'text-anchor': 'end' });
        label.textContent = `${tick * 100}%`;
        chart.append(label);
      }
      chart.append(svg('line', { x1: pad.left, x2: width - pad.right, y1: y(threshold), y2: y(threshold), class: 'threshold' }));
      const path = boundaries.map((b, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(b.isNext).toFixed(1)}`).join(' ');
      chart.append(svg('path', { d: path, class: 'line' }));
      boundaries.forEach((b, i) => {
        const weak = b.isNext < threshold;
        const dot = svg('circle', { cx: x(i), cy: y(b.isNext), r: weak ? 5 : 3.5, class: weak ? 'dot weak' : 'dot' });
        const title = svg('title');
        const from = data.sentences[b.from]?.text ?? '';
        const to = data.sentences[b.to]?.text ?? '';
        title.textContent = `${percent(b.isNext)}: “${clip(from, 60)}” → “${clip(to, 60)}”`;
        dot.append(title);
        chart.append(dot);
        if (boundaries.length <= Math.floor(plotW / 36)) {
          const label = svg('text', { x: x(i), y: height - 10, class: 'axis', 'text-anchor': 'middle' });
          label.textContent = `${b.from + 1}→${b.to + 1}`;
          chart.append(label);
        }
      });
      body.append(chart);
      const weak = boundaries.filter((b) => b.isNext < threshold);
      const summary = el('p', 'note', `${boundaries.length} boundaries · mean ${percent(data.summary.mean ?? 0)} · weakest ${percent(data.summary.min ?? 0)} · dashed line: weak below ${percent(threshold)}`);
      body.append(summary);
      if (weak.length > 0) {
        const list = el('ol', 'weak-list');
        for (const b of weak) {
          const item = el('li');
          item.append(el('span', 'weak-score', percent(b.isNext)), document.createTextNode(` “${clip(data.sentences[b.from]?.text ?? '', 80)}” → “${clip(data.sentences[b.to]?.text ?? '', 80)}”`));
          list.append(item);
        }
        body.append(el('p', 'note', 'Weak transitions:'), list);
      }
      return `${boundaries.length} boundaries, ${weak.length} weak, min ${percent(data.summary.min ?? 0)}`;
    },
    unlikely(body, data) {
      if (data.words.length === 0) {
        body.append(el('p', 'note', `No unlikely words among ${data.scannedWords} scanned.`));
        return `0 of ${data.scannedWords}`;
      }
      const table = el('table', 'unlikely');
      const head = el('tr');
      head.append(el('th', '', 'Word'), el('th', '', 'P(word)'), el('th', '', 'Alternatives'));
      table.append(head);
      for (const word of data.words) {
        const row = el('tr');
        row.append(
          el('td', 'word', word.text),
          el('td', 'num', percent(word.probability)),
          el('td', '', word.alternatives.map((a) => `${a.text} ${percent(a.probability)}`).join(', ') || '—'),
        );
        table.append(row);
      }
      body.append(table, el('p', 'note', `${data.words.length} of ${data.scannedWords} words below the threshold.`));
      return data.words.map((w) => w.text).join(', ');
    },
    attention(body, data) {
      const controls = el('div', 'controls');
      const layerSelect = el('select');
      layerSelect.id = 'attention-layer';
      const headSelect = el('select');
      headSelect.id = 'attention-head';
      for (let l = 0; l < data.layers; l++) layerSelect.append(new Option(`Layer ${l + 1}`, String(l)));
      headSelect.append(new Option('Mean of heads', 'mean'));
      for (let h = 0; h < data.heads; h++) headSelect.append(new Option(`Head ${h + 1}`, String(h)));
      const layerLabel = el('label', '', 'Layer ');
      layerLabel.htmlFor = 'attention-layer';
      const headLabel = el('label', '', 'Head ');
      headLabel.htmlFor = 'attention-head';
      controls.append(layerLabel, layerSelect, headLabel, headSelect);
      const holder = el('div', 'heatmap');
      body.append(controls, holder);
      const draw = () => {
        holder.replaceChildren(heatmap(data, Number(layerSelect.value), headSelect.value, holder.clientWidth));
      };
      layerSelect.addEventListener('change', draw);
      headSelect.addEventListener('change', draw);
      draw();
      if (data.truncated) body.append(el('p', 'note', 'Only the first tokens are shown.'));
      body.append(el('p', 'note', 'Rows: the token attending; columns: the token attended to. Darker = more attention.'));
      return `${data.layers} layers × ${data.heads} heads over ${data.tokens.length} tokens`;
    },
  };

  /**
   * An SVG heatmap of one layer's attention (one head or the mean of all), drawn one unit per
   * pixel: cells fill `available` pixels but never get smaller than 10, so the token labels stay
   * readable; a wider map scrolls sideways (.heatmap).
   */
  function heatmap(data, layer, head, available) {
    const n = data.tokens.length;
    const heads = data.attentions[layer];
    const weight = (q, k) => {
      if (head !== 'mean') return heads[Number(head)][q][k];
      let sum = 0;
      for (const h of heads) sum += h[q][k];
      return sum / heads.length;
    };
    // Shade relative to the strongest weight in view, so near-uniform attention still shows its pattern.
    let strongest = 0;
    for (let q = 0; q < n; q++) for (let k = 0; k < n; k++) strongest = Math.max(strongest, weight(q, k));
    const labels = data.tokens.map((token) => clip(token, 10));
    const longest = Math.max(1, ...labels.map((label) => label.length));
    // Row labels on the left, column labels upright above: room for the longest at font size `px`.
    const margin = (px) => 6 + Math.ceil(longest * px * 0.62);
    const cell = Math.max(8, Math.min(22, Math.floor(((available || 520) - margin(10) - 6) / Math.max(1, n))));
    const fontSize = Math.max(8, Math.min(11, cell - 1));
    const left = margin(fontSize);
    const top = margin(fontSize);
    const width = left + n * cell + 6;
    const height = top + n * cell;
    const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, class: 'attention-chart', role: 'img' });
    chart.setAttribute('aria-label', `Attention of layer ${layer + 1}, ${head === 'mean' ? 'mean of heads' : `head ${Number(head) + 1}`}`);
    for (let q = 0; q < n; q++) {
      const rowLabel = svg('text', { x: left - 4, y: top + q * cell + cell / 2, class: 'axis', 'text-anchor': 'end', 'dominant-baseline': 'central' });
      const colLabel = svg('text', { x: 0, y: 0, class: 'axis', 'dominant-baseline': 'central', transform: `translate(${left + q * cell + cell / 2},${top - 4}) rotate(-90)` });
      for (const label of [rowLabel, colLabel]) {
        label.textContent = labels[q];
        label.style.fontSize = `${fontSize}px`; // CSSOM, allowed by the panel's CSP
        chart.append(label);
      }
      for (let k = 0; k < n; k++) {
        const w = weight(q, k);
        const rect = svg('rect', { x: left + k * cell, y: top + q * cell, width: cell - 1, height: cell - 1, class: 'cell', 'fill-opacity': (0.05 + 0.95 * (strongest > 0 ? w / strongest : 0)).toFixed(3) });
        const title = svg('title');
        title.textContent = `${data.tokens[q]} → ${data.tokens[k]}: ${percent(w)}`;
        rect.append(title);
        chart.append(rect);
      }
    }
    const wrapper = el('div');
    wrapper.append(chart, el('p', 'note', `Darkest cell: ${percent(strongest)}.`));
    return wrapper;
  }

  function show(message) {
    const section = document.getElementById(`section-${message.id}`);
    const body = document.getElementById(`body-${message.id}`);
    if (!section || !body) return;
    section.dataset.state = message.state;
    body.replaceChildren();
    let summary = message.message || '';
    if (message.state === 'data') {
      try {
        summary = renderers[message.id](body, message.data);
      } catch (error) {
        section.dataset.state = 'error';
        body.replaceChildren(el('p', 'error', `Could not draw this section: ${error}`));
        summary = String(error);
        message = { ...message, state: 'error' };
      }
    } else if (message.state === 'loading') {
      body.append(el('p', 'note loading', message.message));
    } else {
      body.append(el('p', message.state === 'error' ? 'error' : 'note', message.message));
    }
    vscode.postMessage({ type: 'rendered', run: message.run, id: message.id, state: message.state, summary });
  }

  window.addEventListener('message', (event) => {
    const message = event.data;
    if (!message || typeof message.type !== 'string') return;
    if (message.type === 'source') {
      currentRun = message.run;
      sourceLine.textContent = `${message.origin}: “${clip(message.text.replace(/\s+/g, ' ').trim(), 160)}”`;
      setPinned(message.pinned);
      Object.assign(state, { text: message.text, origin: message.origin, pinned: message.pinned });
      vscode.setState(state);
    } else if (message.type === 'section' && message.run >= currentRun) {
      show(message);
    }
  });
  vscode.postMessage({ type: 'ready' });
})();
