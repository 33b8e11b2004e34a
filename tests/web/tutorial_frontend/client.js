// The API client of the tutorial's React frontend (frontend/src/client.js of parts 12-14),
// re-expressed with fetch: the same URLs, bodies, content types and headers as its axios 0.24
// instance sends. See tests/web/test_tutorial_frontend.py for where each piece comes from.
"use strict";

class ApiError extends Error {
  // What axios rejects with for an answer outside 2xx: its message and `response`.
  constructor(response, data) {
    super(`Request failed with status code ${response.status}`);
    this.response = { status: response.status, data };
  }
}

function decodeJwt(token) {
  // What jwt-decode does: the payload is the middle part, base64url-encoded JSON.
  const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), "=")));
}

// The request interceptor: the headers are replaced by a new object holding only the
// bearer token (when one is stored and unexpired), so axios's default Accept is dropped.
function tokenHeaders() {
  const headers = {};
  const tokenString = localStorage.getItem("token");
  if (tokenString) {
    const token = JSON.parse(tokenString);
    const claims = decodeJwt(token.access_token);
    if (new Date(claims.exp * 1000) > new Date()) {
      headers["Authorization"] = `Bearer ${token.access_token}`;
    } else {
      alert("Your login session has expired");
    }
  }
  return headers;
}

class TutorialClient {
  constructor(config) {
    this.baseURL = `${config.apiBasePath}/api/v1`;
  }

  async request(method, path, body) {
    const headers = tokenHeaders();
    const init = { method, headers };
    if (body instanceof FormData) {
      init.body = body; // the browser sets multipart/form-data with its boundary
    } else if (body !== undefined) {
      headers["Content-Type"] = "application/json"; // axios 0.24 for a plain object
      init.body = JSON.stringify(body);
    }
    const response = await fetch(this.baseURL + path, init);
    const text = await response.text();
    let data = text;
    try {
      data = JSON.parse(text);
    } catch (ignored) {
      // axios keeps a body that is not JSON as text
    }
    if (response.status < 200 || response.status >= 300) {
      throw new ApiError(response, data);
    }
    return { data, status: response.status };
  }

  login(username, password) {
    const form = new FormData();
    const item = { grant_type: "password", username, password };
    for (const key in item) {
      form.append(key, item[key]);
    }
    return this.request("POST", "/auth/login", form).then((resp) => {
      localStorage.setItem("token", JSON.stringify(resp.data));
      return this.fetchUser();
    });
  }

  fetchUser() {
    return this.request("GET", "/auth/me").then(({ data }) => {
      localStorage.setItem("user", JSON.stringify(data));
      return data;
    });
  }

  register(email, password, fullName) {
    const body = { email, password, full_name: fullName, is_active: true };
    return this.request("POST", "/auth/signup", body).then((resp) => resp.data);
  }

  logout() {
    localStorage.removeItem("token");
    localStorage.removeItem("user");
  }

  getRecipe(recipeId) {
    return this.request("GET", `/recipes/${recipeId}`);
  }

  getRecipes(keyword) {
    // Not encoded by the client: the browser's URL parser does what it does to it.
    return this.request("GET", `/recipes/search/?keyword=${keyword}&max_results=10`).then(
      ({ data }) => data,
    );
  }

  getUserRecipes() {
    return this.request("GET", "/recipes/my-recipes/").then(({ data }) => data);
  }

  createRecipe(label, url, source, submitter_id) {
    return this.request("POST", "/recipes/", { label, url, source, submitter_id });
  }

  deleteRecipe(recipeId) {
    return this.request("DELETE", `/recipes/${recipeId}`);
  }

  // Not in the frontend (its updateRecipe POSTs to /recipes, which its own API refuses too):
  // the update of the tutorial's final API, sent through the same instance as the rest.
  putRecipe(id, label) {
    return this.request("PUT", "/recipes/", { id, label });
  }
}

window.TutorialClient = TutorialClient;
