/* The inspection form on a phone (templates/supervision/inspect.html).
 *
 * Everything typed is kept in localStorage (one draft per user and site) and restored when the
 * page opens again, so a dropped connection or a failed save loses nothing; the inspection page
 * shown after a successful save names the draft to clear (data-clear-draft). Each photo is
 * uploaded as soon as it is taken and only its id travels with the form. Problem chips add a
 * problem group each; "+" adds one more. The form still works without this script: the page
 * then posts the photos themselves and the chips mean one problem each.
 */
(function () {
  "use strict";

  var DRAFT_VERSION = 1;
  var DRAFT_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

  function storageGet(key) {
    try {
      var raw = window.localStorage.getItem(key);
      return raw ? JSON.parse(raw) : null;
    } catch (error) {
      return null; // private mode, full storage or a damaged draft: the form still works
    }
  }

  function storageSet(key, value) {
    try {
      window.localStorage.setItem(key, JSON.stringify(value));
    } catch (error) {
      /* storage full or disabled: nothing to do but go on */
    }
  }

  function storageRemove(key) {
    try {
      window.localStorage.removeItem(key);
    } catch (error) {
      /* ignore */
    }
  }

  // After a successful save the inspection page tells which draft is now saved for good.
  Array.prototype.forEach.call(document.querySelectorAll("[data-clear-draft]"), function (element) {
    if (element.dataset.clearDraft) {
      storageRemove(element.dataset.clearDraft);
    }
  });

  var form = document.getElementById("inspection-form");
  if (!form) {
    return;
  }
  form.classList.add("js");

  var text = form.dataset;
  var draftKey = form.dataset.draftKey;
  var problems = form.querySelector("[data-problems]");
  var template = document.getElementById("problem-template");
  var chips = Array.prototype.slice.call(form.querySelectorAll('input[name="types"]'));
  var saveButton = document.getElementById("save-inspection");
  var formMessage = form.querySelector("[data-form-message]");
  var pendingUploads = 0;
  var nextIndex = parseInt(form.dataset.nextIndex, 10) || 0;

  function format(message, values) {
    return message.replace(/\{(\w+)\}/g, function (match, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : match;
    });
  }

  function csrfToken() {
    var input = form.querySelector('input[name="csrfmiddlewaretoken"]');
    if (input && input.value) {
      return input.value;
    }
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function groups() {
    return Array.prototype.slice.call(problems.querySelectorAll("[data-problem]"));
  }

  function groupType(group) {
    var select = group.querySelector("[data-problem-type]");
    return select ? select.value : "";
  }

  function photoIdsField(group) {
    return group.querySelector("[data-photo-ids]");
  }

  function photoIds(group) {
    var value = photoIdsField(group).value;
    return value ? value.split(",").filter(Boolean) : [];
  }

  function setPhotoIds(group, ids) {
    photoIdsField(group).value = ids.join(",");
  }

  function groupHasContent(group) {
    var note = group.querySelector('input[name$="-note"]');
    return Boolean((note && note.value.trim()) || photoIds(group).length);
  }

  // Problem groups ---------------------------------------------------------------------------

  function renumber(element, index) {
    ["name", "id", "for"].forEach(function (attribute) {
      var value = element.getAttribute(attribute);
      if (value && value.indexOf("__n__") !== -1) {
        element.setAttribute(attribute, value.split("__n__").join(String(index)));
      }
    });
  }

  function addGroup(typeId, index) {
    if (index === undefined) {
      index = nextIndex;
    }
    nextIndex = Math.max(nextIndex, index + 1);
    var group = template.content.firstElementChild.cloneNode(true);
    group.dataset.index = String(index);
    renumber(group, index);
    Array.prototype.forEach.call(group.querySelectorAll("*"), function (element) {
      renumber(element, index);
    });
    problems.appendChild(group);
    prepareGroup(group);
    if (typeId) {
      group.querySelector("[data-problem-type]").value = typeId;
    }
    return group;
  }

  function prepareGroup(group) {
    var remove = group.querySelector("[data-remove-problem]");
    if (remove) {
      remove.hidden = false;
    }
    Array.prototype.forEach.call(group.querySelectorAll("[data-thumbs] li[data-photo-id]"), function (item) {
      addThumbRemove(group, item);
    });
  }

  function removeGroup(group) {
    group.parentNode.removeChild(group);
  }

  function syncChips() {
    var present = {};
    groups().forEach(function (group) {
      present[groupType(group)] = true;
    });
    chips.forEach(function (chip) {
      chip.checked = Boolean(present[chip.value]);
    });
  }

  function onChipChange(chip) {
    if (chip.checked) {
      addGroup(chip.value);
    } else {
      var ofType = groups().filter(function (group) {
        return groupType(group) === chip.value;
      });
      if (ofType.some(groupHasContent) && !window.confirm(text.textConfirmRemove)) {
        chip.checked = true;
        return;
      }
      ofType.forEach(removeGroup);
    }
    changed();
  }

  // Photos -----------------------------------------------------------------------------------

  function thumbnailUrl(id) {
    return form.dataset.thumbnailUrl.replace("/0/", "/" + id + "/");
  }

  function showPhotoError(group, message) {
    var box = group.querySelector("[data-photo-error]");
    var line = document.createElement("p");
    line.textContent = message;
    box.appendChild(line);
  }

  function clearPhotoErrors(group) {
    group.querySelector("[data-photo-error]").textContent = "";
  }

  function addThumbRemove(group, item) {
    if (item.querySelector(".thumb-remove")) {
      return;
    }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "thumb-remove";
    button.textContent = "✕";
    button.setAttribute("aria-label", text.textRemovePhoto);
    button.addEventListener("click", function () {
      var id = item.dataset.photoId;
      setPhotoIds(
        group,
        photoIds(group).filter(function (other) {
          return other !== id;
        })
      );
      item.parentNode.removeChild(item);
      changed();
    });
    item.appendChild(button);
  }

  function showThumb(group, id) {
    var list = group.querySelector("[data-thumbs]");
    if (list.querySelector('li[data-photo-id="' + id + '"]')) {
      return;
    }
    var item = document.createElement("li");
    item.dataset.photoId = id;
    var image = document.createElement("img");
    image.src = thumbnailUrl(id);
    image.alt = "";
    image.width = 72;
    image.height = 72;
    item.appendChild(image);
    list.appendChild(item);
    addThumbRemove(group, item);
  }

  function upload(group, file, item) {
    var image;
    if (!item) {
      item = document.createElement("li");
      image = document.createElement("img");
      image.alt = "";
      image.width = 72;
      image.height = 72;
      try {
        image.src = URL.createObjectURL(file);
      } catch (error) {
        /* no preview: the thumbnail comes from the server */
      }
      item.appendChild(image);
      group.querySelector("[data-thumbs]").appendChild(item);
    } else {
      image = item.querySelector("img");
      var retry = item.querySelector(".thumb-retry");
      if (retry) {
        item.removeChild(retry);
      }
    }
    item.className = "pending";
    pendingUploads += 1;

    var body = new FormData();
    body.append("photo", file, file.name);
    fetch(form.dataset.uploadUrl, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
    })
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return null; // a login page or a proxy's error page: not our answer
          })
          .then(function (payload) {
            return { response: response, payload: payload };
          });
      })
      .then(
        function (result) {
          pendingUploads -= 1;
          var payload = result.payload;
          if (result.response.ok && payload && payload.id) {
            item.className = "";
            item.dataset.photoId = String(payload.id);
            if (image.src.indexOf("blob:") === 0) {
              URL.revokeObjectURL(image.src);
            }
            image.src = payload.thumbnail_url || thumbnailUrl(payload.id);
            setPhotoIds(group, photoIds(group).concat([String(payload.id)]));
            addThumbRemove(group, item);
            changed();
          } else if (result.response.status >= 400 && result.response.status < 500 && payload && payload.error) {
            // Refused by the server (not a photo, too big …): say why, next to this problem only.
            item.parentNode.removeChild(item);
            showPhotoError(group, file.name + ": " + payload.error);
          } else {
            uploadFailed(group, file, item, text.textFailed);
          }
        },
        function () {
          pendingUploads -= 1;
          uploadFailed(group, file, item, text.textNetwork);
        }
      );
  }

  function uploadFailed(group, file, item, message) {
    item.className = "failed";
    showPhotoError(group, file.name + ": " + message);
    var retry = document.createElement("button");
    retry.type = "button";
    retry.className = "thumb-retry";
    retry.textContent = text.textRetry;
    retry.addEventListener("click", function () {
      clearPhotoErrors(group);
      upload(group, file, item);
    });
    item.appendChild(retry);
  }

  function onFilesChosen(input) {
    var group = input.closest("[data-problem]");
    clearPhotoErrors(group);
    Array.prototype.forEach.call(input.files, function (file) {
      upload(group, file);
    });
    // Sent already: the form must not post them a second time.
    input.value = "";
  }

  // The draft --------------------------------------------------------------------------------

  function collect() {
    var values = {};
    Array.prototype.forEach.call(form.elements, function (element) {
      var name = element.name;
      if (!name || element.type === "file" || element.type === "submit" || element.type === "button") {
        return;
      }
      if (name === "csrfmiddlewaretoken") {
        return;
      }
      if (element.type === "checkbox" || element.type === "radio") {
        values[name] = values[name] || [];
        if (element.checked) {
          values[name].push(element.value);
        }
      } else {
        values[name] = element.value;
      }
    });
    return {
      version: DRAFT_VERSION,
      savedAt: Date.now(),
      groups: groups().map(function (group) {
        return group.dataset.index;
      }),
      values: values,
    };
  }

  function saveDraft() {
    storageSet(draftKey, collect());
  }

  function draftHasContent(draft) {
    var values = draft.values || {};
    return Object.keys(values).some(function (name) {
      if (name === "kind" || name === "latitude" || name === "longitude" || name === "accuracy" || name === "started_at") {
        return false;
      }
      var value = values[name];
      return Array.isArray(value) ? value.length > 0 : Boolean(value && String(value).trim());
    });
  }

  function restore(draft) {
    (draft.groups || []).forEach(function (index) {
      if (!problems.querySelector('[data-problem][data-index="' + index + '"]')) {
        addGroup(null, parseInt(index, 10));
      }
    });
    var values = draft.values || {};
    Array.prototype.forEach.call(form.elements, function (element) {
      var name = element.name;
      if (!name || !Object.prototype.hasOwnProperty.call(values, name) || element.type === "file") {
        return;
      }
      if (name === "csrfmiddlewaretoken") {
        return;
      }
      var value = values[name];
      if (element.type === "checkbox" || element.type === "radio") {
        element.checked = Array.isArray(value) && value.indexOf(element.value) !== -1;
      } else if (typeof value === "string") {
        element.value = value;
      }
    });
    groups().forEach(function (group) {
      photoIds(group).forEach(function (id) {
        showThumb(group, id);
      });
    });
  }

  // The score preview ------------------------------------------------------------------------

  function number(value) {
    var parsed = parseFloat(String(value).replace(",", "."));
    return isFinite(parsed) ? parsed : null;
  }

  function round1(value) {
    return Math.round(value * 10) / 10;
  }

  function updateScores() {
    var deductions = {};
    groups().forEach(function (group) {
      var select = group.querySelector("[data-problem-type]");
      var option = select && select.options[select.selectedIndex];
      if (option && option.dataset.criterion) {
        var criterion = option.dataset.criterion;
        deductions[criterion] = (deductions[criterion] || 0) + (number(option.dataset.deduction) || 0);
      }
    });
    var total = 0;
    var max = 0;
    Array.prototype.forEach.call(form.querySelectorAll(".score-input"), function (input) {
      var points = number(input.dataset.points) || 0;
      var computed = round1(Math.max(0, points - (deductions[input.dataset.criterion] || 0)));
      input.placeholder = String(computed);
      var typed = number(input.value);
      total += typed === null ? computed : typed;
      max += points;
    });
    var output = form.querySelector("[data-score-total]");
    if (output && max > 0) {
      output.textContent = format(text.textTotal, {
        score: String(round1(total)),
        max: String(round1(max)),
        percent: ((total * 100) / max).toFixed(2),
      });
    }
  }

  function changed() {
    if (!form.elements.started_at.value) {
      form.elements.started_at.value = new Date().toISOString();
    }
    updateScores();
    saveDraft();
  }

  // Location ---------------------------------------------------------------------------------

  function locate() {
    var status = form.querySelector("[data-location-status]");
    if (!navigator.geolocation) {
      return;
    }
    status.hidden = false;
    status.textContent = text.textLocating;
    navigator.geolocation.getCurrentPosition(
      function (position) {
        form.elements.latitude.value = position.coords.latitude.toFixed(6);
        form.elements.longitude.value = position.coords.longitude.toFixed(6);
        form.elements.accuracy.value = String(Math.round(position.coords.accuracy));
        status.textContent = format(text.textLocated, { metres: String(Math.round(position.coords.accuracy)) });
        if (form.elements.started_at.value) {
          saveDraft();
        }
      },
      function () {
        // Refused or unavailable: the inspection is saved without a location.
        status.textContent = text.textNoLocation;
      },
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 }
    );
  }

  // Wiring -----------------------------------------------------------------------------------

  form.addEventListener("change", function (event) {
    var target = event.target;
    if (target.type === "file") {
      onFilesChosen(target);
      return;
    }
    if (target.name === "types") {
      onChipChange(target);
      return;
    }
    if (target.hasAttribute("data-problem-type")) {
      syncChips();
    }
    changed();
  });

  form.addEventListener("input", function (event) {
    if (event.target.type !== "file") {
      changed();
    }
  });

  form.addEventListener("click", function (event) {
    var remove = event.target.closest("[data-remove-problem]");
    if (remove) {
      var group = remove.closest("[data-problem]");
      if (!groupHasContent(group) || window.confirm(text.textConfirmRemove)) {
        removeGroup(group);
        syncChips();
        changed();
      }
      return;
    }
    if (event.target.closest("[data-add-problem]")) {
      addGroup(null);
      changed();
    }
  });

  form.addEventListener("submit", function (event) {
    if (pendingUploads > 0) {
      event.preventDefault();
      formMessage.textContent = text.textWaitUploads;
      formMessage.hidden = false;
      return;
    }
    saveDraft(); // if the connection drops now, the draft is what the clerk gets back
    saveButton.disabled = true;
    saveButton.textContent = text.textSaving;
  });

  // Back from a failed submission (the page comes from the browser's cache): the button works again.
  var saveLabel = saveButton.textContent;
  window.addEventListener("pageshow", function () {
    saveButton.disabled = false;
    saveButton.textContent = saveLabel;
  });

  var addButton = form.querySelector("[data-add-problem]");
  if (addButton) {
    addButton.hidden = false;
  }
  groups().forEach(prepareGroup);

  var draft = storageGet(draftKey);
  if (draft && (draft.version !== DRAFT_VERSION || Date.now() - draft.savedAt > DRAFT_MAX_AGE_MS)) {
    storageRemove(draftKey);
    draft = null;
  }
  if (form.dataset.bound === "1") {
    // The server showed the form again (a refused photo, a score out of range): what it shows
    // is newer than any draft.
    saveDraft();
  } else if (draft && draftHasContent(draft)) {
    restore(draft);
    var notice = document.querySelector("[data-draft-notice]");
    if (notice) {
      notice.hidden = false;
      notice.querySelector("[data-draft-discard]").addEventListener("click", function () {
        storageRemove(draftKey);
        window.location.replace(window.location.pathname);
      });
    }
  }
  // A chip posted without a group of its own (from a page without the script) gets one.
  chips.forEach(function (chip) {
    var hasGroup = groups().some(function (group) {
      return groupType(group) === chip.value;
    });
    if (chip.checked && !hasGroup) {
      addGroup(chip.value);
    }
  });
  syncChips();
  updateScores();
  locate();
})();
