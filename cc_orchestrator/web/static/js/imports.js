// The task board's Import form: GitHub issues (repository, labels, state) or Jira issues (JQL)
// in as tasks, as `cc-orchestrator import github|jira` does.

import { $, toast } from "./dom.js";
import { post } from "./api.js";

const NAMES = { github: "GitHub", jira: "Jira" };

export class ImportForm {
  constructor(form, toggle, { onImported }) {
    this.form = form;
    this.toggle = toggle;
    this.onImported = onImported;
    this.github = [$("#import-repository", form), $("#import-labels", form), $("#import-state", form)];
    this.jql = $("#import-jql", form);
    toggle.addEventListener("click", () => this.open(form.hidden));
    $("#import-source", form).addEventListener("change", () => this.showFields());
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    form.addEventListener("keydown", (event) => event.key === "Escape" && this.open(false));
    this.showFields();
  }

  open(show) {
    this.form.hidden = !show;
    this.toggle.setAttribute("aria-expanded", String(show));
    if (show) (this.source === "jira" ? this.jql : this.github[0]).focus();
  }

  get source() {
    return $("#import-source", this.form).value;
  }

  // Which sources the server has settings for: the others say so, but stay selectable (a
  // public GitHub repository needs no token).
  configured(sources) {
    for (const option of $("#import-source", this.form).options) {
      const name = NAMES[option.value];
      option.textContent = sources[option.value] ? name : `${name} (not set up)`;
    }
  }

  showFields() {
    const jira = this.source === "jira";
    for (const field of this.github) field.hidden = jira;
    this.github[0].required = !jira;
    this.jql.hidden = !jira;
    this.jql.required = jira;
  }

  body() {
    if (this.source === "jira") return { source: "jira", jql: this.jql.value.trim() };
    const [repository, labels, state] = this.github;
    return {
      source: "github",
      repository: repository.value.trim(),
      labels: labels.value.split(",").map((l) => l.trim()).filter(Boolean),
      state: state.value,
    };
  }

  async submit() {
    const button = $("#import-submit", this.form);
    const body = this.body();
    const where = body.source === "github" ? `GitHub ${body.repository}` : "Jira";
    button.disabled = true;
    button.textContent = "Importing…";
    try {
      const result = await post("/api/tasks/import", body);
      toast(`imported from ${where}: ${result.summary}`);
      this.open(false);
      this.onImported();
    } catch (error) {
      toast(error.message, "error");
    } finally {
      button.disabled = false;
      button.textContent = "Import issues";
    }
  }
}
