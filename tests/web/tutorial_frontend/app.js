// The pages of the tutorial's React frontend (parts 12-14), as plain DOM code: the same
// routes, the same calls of the client in the same order, the same reads of the answers
// (data?.results, recipes.length, user?.id) and the same visible words.
"use strict";

const client = new TutorialClient(window.TUTORIAL_CONFIG);
const root = document.getElementById("root");

function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" || typeof child === "number" ? String(child) : child);
  }
  return node;
}

function navigate(path) {
  history.pushState({}, "", path);
  mount();
}

function link(path, text) {
  return h("a", { href: path, onclick: (e) => { e.preventDefault(); navigate(path); } }, text);
}

function tokenIsValid() {
  const tokenString = localStorage.getItem("token");
  if (!tokenString) return false;
  const token = JSON.parse(tokenString);
  return new Date(decodeJwt(token.access_token).exp * 1000) > new Date();
}

// components/DashboardHeader: logged in when a token is stored.
function DashboardHeader() {
  const isLoggedIn = Boolean(localStorage.getItem("token"));
  const button = isLoggedIn
    ? h("button", { onclick: () => { client.logout(); navigate("/"); } }, "Logout")
    : h("button", { onclick: () => navigate("/login") }, "Login");
  return h(
    "nav", {},
    h("span", {}, "ChristopherGS Teaches FastAPI"),
    link("/docs", "API Docs"), " ", link("/ideas", "Ideas"), " ", link("/my-recipes", "My Recipes"), " ",
    isLoggedIn ? null : link("/sign-up", "Create Account"),
    button,
  );
}

// components/Recipe and components/RecipeTable; `recipes.length && ...` renders a 0 as React does.
function Recipe(recipe) {
  return h(
    "div", { class: "recipe" },
    h("h2", {}, recipe?.label),
    h("h2", {}, recipe?.source),
    h("a", { href: `${recipe?.url}` }, "Visit Site"),
  );
}

function RecipeTable(recipes) {
  return h(
    "div", { class: "sections-list" },
    recipes.length ? recipes.map(Recipe) : recipes.length,
    !recipes.length ? h("p", {}, "No recipes found!") : null,
  );
}

// components/FormInput: the label's `for` names no id, so inputs are found by name.
function FormInput(label, name, type, value, onChange, error) {
  return h(
    "div", {},
    h("label", { for: name }, label),
    h("input", { name, type, value, oninput: (e) => onChange(e.target.value) }),
    error ? h("p", { class: "error" }, error) : null,
  );
}

function render(node) {
  root.replaceChildren(node);
}

// pages/home: the search "chicken" at first, then what is typed; data?.results is shown.
function Home() {
  const state = { loading: true, recipes: [], keyword: "" };
  const draw = () => {
    if (state.loading) return render(h("p", {}, "Loading..."));
    render(h(
      "section", {},
      DashboardHeader(),
      h("h1", {}, "Recipes - Better than all the REST"),
      h("input", {
        type: "text", placeholder: "Search anything...",
        oninput: (e) => { state.keyword = e.target.value; },
      }),
      h("button", { onclick: () => fetchRecipes(true) }, "Search"),
      h("div", { class: "mainViewport" }, RecipeTable(state.recipes)),
    ));
  };
  const fetchRecipes = (search) => {
    if (state.keyword.length <= 0 && search) return alert("Please Enter Search Text");
    state.loading = true;
    draw();
    client.getRecipes(state.keyword || "chicken").then((data) => {
      state.loading = false;
      state.recipes = data?.results;
      draw();
    });
  };
  fetchRecipes();
}

// pages/sign-up: register, then straight to /my-recipes (the frontend does not log in here).
function SignUp() {
  const form = { email: "", password: "", fullName: "" };
  let error = {};
  const onRegister = (e) => {
    e.preventDefault();
    if (form.fullName.length <= 0) { error = { fullName: "Please Enter Your Full Name" }; return draw(); }
    if (form.email.length <= 0) { error = { email: "Please Enter Email Address" }; return draw(); }
    if (form.password.length <= 0) { error = { password: "Please Enter Password" }; return draw(); }
    client.register(form.email, form.password, form.fullName)
      .then(() => navigate("/my-recipes"))
      .catch((err) => { alert(err); });
  };
  const draw = () => render(h(
    "section", {},
    DashboardHeader(),
    h(
      "form", { onsubmit: onRegister },
      FormInput("Full Name", "fullName", "text", form.fullName, (v) => { form.fullName = v; }, error.fullName),
      FormInput("Email", "email", "email", form.email, (v) => { form.email = v; }, error.email),
      FormInput("Password", "password", "password", form.password, (v) => { form.password = v; }, error.password),
      h("button", { type: "submit" }, "Create Account"),
    ),
    link("/login", "Already Have an account ?"),
  ));
  draw();
}

// pages/login: log in (the token and the user go to localStorage), then /my-recipes.
function Login() {
  const form = { email: "", password: "" };
  let error = {};
  const onLogin = (e) => {
    e.preventDefault();
    if (form.email.length <= 0) { error = { email: "Please Enter Email Address" }; return draw(); }
    if (form.password.length <= 0) { error = { password: "Please Enter Password" }; return draw(); }
    client.login(form.email, form.password)
      .then(() => navigate("/my-recipes"))
      .catch((err) => { console.err(err); }); // sic: the frontend calls console.err
  };
  const draw = () => render(h(
    "section", {},
    DashboardHeader(),
    h(
      "form", { onsubmit: onLogin },
      FormInput("Email", "email", "text", form.email, (v) => { form.email = v; }, error.email),
      FormInput("Password", "password", "password", form.password, (v) => { form.password = v; }, error.password),
      h("button", { type: "submit" }, "Login"),
    ),
    link("/sign-up", "Create Account"),
  ));
  draw();
}

// validator.isURL, in the part that matters here: a host with a dot, http(s) or no scheme.
function isURL(value) {
  return /^(https?:\/\/)?[\w.-]+\.[a-z]{2,}(\/\S*)?$/i.test(value);
}

// pages/my-recipes: the list (data?.results) and the "Create Recipe" modal, which asks
// /auth/me for the user's id and sends it as submitter_id.
function RecipeDashboard() {
  const state = {
    isLoggedIn: tokenIsValid(), refreshing: true, recipes: [], showForm: false, error: {},
    form: { label: "", url: "", source: "" },
  };
  const fetchUserRecipes = () => {
    client.getUserRecipes().then((data) => {
      state.refreshing = false;
      state.recipes = data?.results;
      draw();
    });
  };
  const onCreateRecipe = (e) => {
    e.preventDefault();
    const { label, url, source } = state.form;
    if (label.length <= 0) { state.error = { label: "Please Enter Recipe Label" }; return draw(); }
    if (url.length <= 0) { state.error = { url: "Please Enter Recipe Url" }; return draw(); }
    if (!isURL(url)) { state.error = { url: "Please Enter Valid URL" }; return draw(); }
    if (source.length <= 0) { state.error = { source: "Please Enter Recipe Source" }; return draw(); }
    client.fetchUser().then((user) => {
      client.createRecipe(label, url, source, user?.id).then(() => {
        fetchUserRecipes();
        state.showForm = false;
        draw();
      });
    });
  };
  const modal = () => h(
    "div", { class: "modal" },
    h("h3", {}, "Create Recipe"),
    h(
      "form", { onsubmit: onCreateRecipe },
      FormInput("Label", "label", "text", state.form.label, (v) => { state.form.label = v; }, state.error.label),
      FormInput("Url", "url", "text", state.form.url, (v) => { state.form.url = v; }, state.error.url),
      FormInput("Source", "source", "text", state.form.source, (v) => { state.form.source = v; }, state.error.source),
      h("button", { type: "submit" }, "Create Recipe"),
    ),
  );
  const draw = () => {
    if (state.refreshing) {
      return render(state.isLoggedIn
        ? h("p", {}, "Loading...")
        : h("div", { id: "notfound" }, h("h1", {}, "Oops!"), h("h2", {}, "Login To Access The Page"),
          link("/login", "Go TO LOGIN")));
    }
    render(h(
      "div", {},
      h(
        "section", {},
        DashboardHeader(),
        h("h1", {}, "Recipes - Better than all the REST"),
        h("button", { onclick: () => { state.showForm = !state.showForm; draw(); } }, "Create Recipe"),
        h("p", {}, "Latest recipes"),
        h("div", { class: "mainViewport" }, state.recipes.length ? RecipeTable(state.recipes) : state.recipes.length),
      ),
      state.showForm ? modal() : null,
    ));
  };
  draw();
  fetchUserRecipes();
}

const routes = { "/": Home, "/my-recipes": RecipeDashboard, "/login": Login, "/sign-up": SignUp };

function mount() {
  const page = routes[location.pathname];
  if (page) page();
  else render(h("h1", {}, "Page not found"));
}

window.addEventListener("popstate", mount);
window.tutorialClient = client;
mount();
