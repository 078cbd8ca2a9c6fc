// Chorus pages: everything works without this file; with it, counters update live (SSE), the
// letter preview follows the form as the supporter types, and share links can be copied.
(function () {
  'use strict';

  // Live counters: one EventSource per campaign on the page, updating every [data-count-text].
  function renderCount(el, count) {
    var forms = JSON.parse(el.getAttribute('data-forms') || '{}');
    var locale = el.getAttribute('data-locale') || 'en';
    var numbers = new Intl.NumberFormat([locale, 'en']);
    var form = forms[new Intl.PluralRules([locale, 'en']).select(count.supporters)] || forms.other || '';
    var previous = el.textContent;
    el.textContent = '';
    form.split(/(\{[a-zA-Z]+\})/).forEach(function (part) {
      var name = /^\{([a-zA-Z]+)\}$/.exec(part);
      if (name && count[name[1]] !== undefined && count[name[1]] !== null) {
        var strong = document.createElement('strong');
        strong.setAttribute('data-count', name[1]);
        strong.textContent = numbers.format(count[name[1]]);
        el.appendChild(strong);
      } else if (part) {
        el.appendChild(document.createTextNode(part));
      }
    });
    if (previous !== el.textContent) {
      var changed = el.querySelector('[data-count="supporters"]');
      if (changed) changed.classList.add('changed');
    }
  }

  function startCounters() {
    if (!window.EventSource) return;
    var bySlug = {};
    document.querySelectorAll('[data-live-count]').forEach(function (el) {
      var slug = el.getAttribute('data-live-count');
      (bySlug[slug] = bySlug[slug] || []).push(el);
    });
    Object.keys(bySlug).forEach(function (slug) {
      var source = new EventSource('/api/v1/actions/' + encodeURIComponent(slug) + '/events');
      source.addEventListener('count', function (event) {
        var count = JSON.parse(event.data);
        bySlug[slug].forEach(function (root) {
          root.querySelectorAll('[data-count-text]').forEach(function (el) { renderCount(el, count); });
          root.querySelectorAll('progress[data-count-progress]').forEach(function (bar) {
            if (count.goal) {
              bar.max = count.goal;
              bar.value = Math.min(count.supporters, count.goal);
            }
          });
        });
      });
    });
  }

  // Live letter preview: the server renders it exactly as it will be sent (no email needed).
  function startPreview() {
    var form = document.querySelector('form[data-preview-url]');
    var subject = document.getElementById('preview-subject');
    var text = document.getElementById('preview-text');
    var status = document.getElementById('preview-status');
    if (!form || !subject || !text || !window.fetch) return;
    var timer = null;
    var inFlight = null;
    // An editable letter: the text box follows the preview until the supporter changes it; from
    // then on the preview follows the text box (and shows it as it will be sent, signed if need be).
    var bodyField = document.getElementById('f-body');
    var nudge = document.getElementById('f-body-nudge');
    var edited = !!bodyField && bodyField.getAttribute('data-edited') === 'true';
    if (bodyField) bodyField.addEventListener('input', function () { edited = true; });
    var value = function (name) {
      var field = form.elements.namedItem(name);
      return field && 'value' in field ? field.value : '';
    };
    function update() {
      var targets = form.querySelectorAll('input[name="targetIds"]:checked');
      // Only what has been typed: the server fills placeholders in for a missing name or country.
      var supporter = {};
      ['name', 'city', 'country', 'note'].forEach(function (name) {
        var v = value(name);
        if (v.trim() !== '') supporter[name] = v;
      });
      if (bodyField && edited) supporter.body = bodyField.value;
      var body = { supporter: supporter };
      if (value('templateId')) body.templateId = value('templateId');
      if (targets.length > 0) body.targetId = targets[0].value;
      if (inFlight) inFlight.abort();
      inFlight = window.AbortController ? new AbortController() : null;
      fetch(form.getAttribute('data-preview-url'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: inFlight ? inFlight.signal : undefined,
        credentials: 'omit'
      })
        .then(function (res) { return res.json().then(function (json) { return { ok: res.ok, res422: res.status === 422, json: json }; }); })
        .then(function (r) {
          if (r.ok) {
            subject.textContent = r.json.subject;
            text.textContent = r.json.text;
            showTranslation(r.json);
            if (bodyField && !edited) bodyField.value = r.json.text;
            // A nudge, never a block: shown while most of the letter is still the template's words.
            if (nudge && typeof r.json.originality === 'number') nudge.hidden = r.json.originality >= 0.2;
            var to = document.getElementById('preview-to');
            if (to && to.getAttribute('data-template')) to.textContent = to.getAttribute('data-template').replace('{name}', r.json.to);
            status.textContent = '';
            showFieldError(null);
          } else if (r.res422 && r.json && r.json.detail) {
            // A campaign rule broken by what was typed: said under the field that breaks it.
            showFieldError(fieldOf(r.json), r.json.detail);
            status.textContent = '';
          } else if (r.json && r.json.detail) {
            status.textContent = status.getAttribute('data-error').replace('{message}', r.json.detail);
          }
        })
        .catch(function () { /* aborted or offline: the last preview stays */ });
    }
    // Which field a problem is about: its path (note, supporter.name), or for a phrase found in the
    // finished letter, the field whose text holds the phrase; the note when none does.
    function fieldOf(problem) {
      var names = ['name', 'city', 'note', 'body'];
      var path = problem.errors && problem.errors[0] ? String(problem.errors[0].path).split('.').pop() : '';
      if (names.indexOf(path) >= 0) return path;
      var quoted = /"([^"]+)"/.exec(problem.detail || '');
      if (quoted) {
        var phrase = quoted[1].toLowerCase();
        for (var i = 0; i < names.length; i++) if (value(names[i]).toLowerCase().indexOf(phrase) >= 0) return names[i];
      }
      return bodyField ? 'body' : 'note';
    }
    // One live message at a time, placed as the server places its own: after the label and hints, before the input.
    var live = null;
    function showFieldError(name, message) {
      if (live) {
        var old = document.getElementById(live.input);
        if (old) {
          old.removeAttribute('aria-invalid');
          old.setAttribute('aria-describedby', (old.getAttribute('aria-describedby') || '').replace(/\s*f-live-error/, '').trim());
          if (old.closest('.field')) old.closest('.field').classList.remove('has-error');
        }
        live.node.remove();
        live = null;
      }
      var input = name && document.getElementById('f-' + name);
      if (!input || document.getElementById('f-' + name + '-error')) return;
      var node = document.createElement('span');
      node.className = 'field-error';
      node.id = 'f-live-error';
      var prefix = document.createElement('span');
      prefix.className = 'visually-hidden';
      prefix.textContent = (status.getAttribute('data-prefix') || 'Error:') + ' ';
      node.appendChild(prefix);
      node.appendChild(document.createTextNode(message));
      input.parentNode.insertBefore(node, input);
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', ((input.getAttribute('aria-describedby') || '') + ' f-live-error').trim());
      if (input.closest('.field')) input.closest('.field').classList.add('has-error');
      live = { node: node, input: input.id };
    }
    // A letter in the target's language (say Russian) comes with what it says in the supporter's.
    var letters = document.getElementById('preview-letters');
    var pageLocale = letters ? letters.getAttribute('data-page-locale') || 'en' : 'en';
    function languageOf(tag) {
      try { return new Intl.DisplayNames([pageLocale, 'en'], { type: 'language' }).of(tag) || tag; } catch { return tag; }
    }
    function fill(id, values) {
      var el = document.getElementById(id);
      if (!el) return;
      var text = el.getAttribute('data-template') || '';
      Object.keys(values).forEach(function (k) { text = text.split('{' + k + '}').join(values[k]); });
      el.textContent = text;
    }
    function showTranslation(json) {
      var box = document.getElementById('preview-translation');
      var why = document.getElementById('preview-why');
      var sentLabel = document.getElementById('preview-sent-h');
      var sent = document.getElementById('preview-sent');
      if (!box || !letters) return;
      var t = json.translation;
      box.hidden = !t;
      if (why) why.hidden = !t;
      if (sentLabel) sentLabel.hidden = !t;
      letters.classList.toggle('has-translation', !!t);
      if (sent && json.locale) sent.setAttribute('lang', json.locale);
      if (!t) return;
      box.setAttribute('lang', t.locale);
      document.getElementById('preview-translation-subject').textContent = t.subject;
      document.getElementById('preview-translation-text').textContent = t.text;
      fill('preview-sent-h', { language: languageOf(json.locale) });
      fill('preview-translation-h', { language: languageOf(t.locale) });
      // The server's sentence names the target with their title; it stays while it is still true.
      var shown = json.to + '|' + json.locale;
      if (why && why.getAttribute('data-shown') !== shown) {
        fill('preview-why', { target: json.to, language: languageOf(json.locale), own: languageOf(t.locale) });
        why.setAttribute('data-shown', shown);
      }
    }
    var schedule = function () {
      clearTimeout(timer);
      timer = setTimeout(update, 300);
    };
    form.addEventListener('input', schedule);
    form.addEventListener('change', schedule);
  }

  // Whom the letter goes to, named as soon as the supporter picks a country: the chosen targets
  // that take letters from everyone or from that country (the server decides the same way).
  function startRecipients() {
    var country = document.getElementById('f-country');
    var list = document.getElementById('goes-to-list');
    var hint = document.getElementById('goes-to-hint');
    if (!country || !list) return;
    function show() {
      var code = country.value;
      var choices = document.querySelectorAll('input[name="targetIds"], [data-target-choice]');
      list.textContent = '';
      if (code) {
        choices.forEach(function (c) {
          if (c.tagName === 'INPUT' && !c.checked) return;
          var only = (c.getAttribute('data-countries') || '').split(' ').filter(Boolean);
          if (only.length > 0 && only.indexOf(code) < 0) return;
          // The name and title as the page shows them: the checkbox's label, or the listed recipient.
          var shown = c.tagName === 'INPUT' ? document.querySelector('label[for="' + c.id + '"]') : c;
          var title = shown ? shown.querySelector('.role') : null;
          var nameNode = shown ? (shown.querySelector('strong') || shown.firstChild) : null;
          var li = document.createElement('li');
          var strong = document.createElement('strong');
          strong.textContent = nameNode ? nameNode.textContent : '';
          var role = document.createElement('span');
          role.className = 'role';
          role.textContent = title ? title.textContent : '';
          li.appendChild(strong);
          li.appendChild(role);
          list.appendChild(li);
        });
      }
      list.hidden = !code;
      if (hint) hint.hidden = !!code;
    }
    country.addEventListener('change', show);
    document.querySelectorAll('input[name="targetIds"]').forEach(function (c) { c.addEventListener('change', show); });
  }

  // Copy-link buttons are hidden without JavaScript (they could not work).
  function startCopyButtons() {
    document.querySelectorAll('[data-copy]').forEach(function (button) {
      if (!navigator.clipboard) return;
      button.hidden = false;
      button.addEventListener('click', function () {
        navigator.clipboard.writeText(button.getAttribute('data-copy')).then(function () {
          button.textContent = button.getAttribute('data-copied') || button.textContent;
        });
      });
    });
  }

  // The system's share sheet, where the browser has one (phones, mostly); elsewhere the button stays hidden.
  function startShareButtons() {
    if (typeof navigator.share !== 'function') return;
    document.querySelectorAll('[data-share]').forEach(function (button) {
      var data = { title: button.getAttribute('data-share-title'), text: button.getAttribute('data-share-text'), url: button.getAttribute('data-share-url') };
      if (navigator.canShare && !navigator.canShare(data)) return;
      var holder = button.closest('.share-native');
      if (holder) holder.hidden = false;
      button.addEventListener('click', function () {
        // A dismissed share sheet rejects: nothing to report.
        navigator.share(data).catch(function () {});
      });
    });
  }

  // An embedded counter tells the page around it how tall it is (embed.js there sets the iframe's
  // height). Only a height is sent, so any page may hear it.
  function startEmbedHeight() {
    var main = document.querySelector('body.embed main');
    if (!main || window.parent === window) return;
    var last = 0;
    function report() {
      var height = Math.ceil(main.getBoundingClientRect().bottom + window.scrollY);
      if (height === last) return;
      last = height;
      window.parent.postMessage({ type: 'chorus:embed-height', height: height }, '*');
    }
    report();
    window.addEventListener('load', report);
    if (window.ResizeObserver) new ResizeObserver(report).observe(main);
  }

  // After a failed submission, move focus to the list of problems so it is read first.
  function focusErrors() {
    var summary = document.querySelector('.error-summary');
    if (summary) summary.focus();
  }

  // The form beside the story stays in view while the story scrolls (CSS does this where it fits the
  // screen); a form taller than the screen scrolls with the page until its button shows, then stays.
  function startStickyForm() {
    var sign = document.querySelector('.action.is-open .sign');
    if (!sign || !window.matchMedia) return;
    var wide = window.matchMedia('(min-width: 60rem)');
    function place() {
      if (!wide.matches) {
        sign.classList.remove('stuck');
        sign.style.top = '';
        return;
      }
      sign.classList.add('stuck');
      sign.style.top = Math.min(16, window.innerHeight - sign.offsetHeight - 16) + 'px';
    }
    place();
    window.addEventListener('resize', place);
    if (window.ResizeObserver) new ResizeObserver(place).observe(sign);
  }

  startCounters();
  startStickyForm();
  startPreview();
  startRecipients();
  startCopyButtons();
  startShareButtons();
  startEmbedHeight();
  focusErrors();
})();
