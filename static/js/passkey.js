/* Passkeys: create one, or use one to confirm it is you.
   Each <div class="passkey" data-passkey="register|verify"> carries the URLs of its two steps and
   its (translated) messages; the server's JSON is WebAuthn's, with binary values as base64url.
   Without JavaScript or WebAuthn the element stays hidden and its explanation stays shown. */
(function () {
  "use strict";

  function fromBase64url(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withIds(list) {
    return (list || []).map(function (item) {
      return Object.assign({}, item, { id: fromBase64url(item.id) });
    });
  }

  function creationOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = fromBase64url(json.challenge);
    options.user = Object.assign({}, json.user, { id: fromBase64url(json.user.id) });
    options.excludeCredentials = withIds(json.excludeCredentials);
    return options;
  }

  function requestOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = fromBase64url(json.challenge);
    options.allowCredentials = withIds(json.allowCredentials);
    return options;
  }

  function credentialJSON(credential) {
    var response = credential.response;
    var json = {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: toBase64url(response.clientDataJSON) }
    };
    if (response.attestationObject) {
      json.response.attestationObject = toBase64url(response.attestationObject);
      json.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      json.response.authenticatorData = toBase64url(response.authenticatorData);
      json.response.signature = toBase64url(response.signature);
      if (response.userHandle) json.response.userHandle = toBase64url(response.userHandle);
    }
    return json;
  }

  function post(url, token, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) throw new Error(data.code || "server");
        return data;
      });
    });
  }

  function start(box) {
    var button = box.querySelector("button");
    var status = box.querySelector(".passkey-status");
    var token = box.querySelector("input[name=csrfmiddlewaretoken]").value;
    var register = box.dataset.passkey === "register";

    button.addEventListener("click", function () {
      button.disabled = true;
      status.textContent = box.dataset.working;
      post(box.dataset.begin, token)
        .then(function (options) {
          return register
            ? navigator.credentials.create({ publicKey: creationOptions(options) })
            : navigator.credentials.get({ publicKey: requestOptions(options) });
        })
        .then(function (credential) {
          return post(box.dataset.complete, token, credentialJSON(credential));
        })
        .then(function (result) {
          window.location.assign(result.redirect_url);
        })
        .catch(function (error) {
          var cancelled = error && (error.name === "NotAllowedError" || error.name === "AbortError");
          status.textContent = cancelled ? box.dataset.cancelled : box.dataset.failed;
          button.disabled = false;
        });
    });
  }

  if (!window.PublicKeyCredential || !navigator.credentials || !window.fetch) return;
  document.querySelectorAll(".passkey-unsupported").forEach(function (note) { note.hidden = true; });
  document.querySelectorAll(".passkey[data-passkey]").forEach(function (box) {
    box.hidden = false;
    start(box);
  });
})();
