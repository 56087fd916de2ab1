/**
 * The Lessons menu and the card of the lesson being followed (the lessons are data, in
 * lessons.js): the menu lists them; choosing one starts its configuration and shows its card
 * (what to do, what to look at, a question) above the network graph; the card checks the
 * lesson's goal on every frame and says how far the learner is.
 */

import { LESSONS } from "./lessons.js";
import { formatCompact } from "./tooltip.js";

const byId = (id) => document.getElementById(id);

/** The lesson named `id`, or undefined. */
export const lessonById = (id) => LESSONS.find((lesson) => lesson.id === id);

/**
 * The hash a page opens with: a `lesson=<id>` link's keys on top of the lesson's own, so a
 * short teacher's link starts the lesson and a copied full link restores the page as it was.
 */
export function withLesson(hash) {
  const own = new URLSearchParams(hash.replace(/^#/, ""));
  const lesson = lessonById(own.get("lesson") ?? "");
  if (!lesson) return hash;
  const merged = new URLSearchParams(lesson.hash);
  for (const [key, value] of own) merged.set(key, value);
  return `#${merged.toString()}`;
}

/** One condition of a goal: [holds, what it says], from what the page shows now. */
function condition(kind, target, now) {
  const { frame, state } = now;
  const hidden = state.hidden_layers;
  switch (kind) {
    case "testLossBelow":
      return [frame?.test_loss < target, `test loss ${formatCompact(frame?.test_loss)} < ${target}`];
    case "testMetricAbove": {
      const accuracy = frame?.metric === "accuracy";
      const shown = (v) => (accuracy ? `${(100 * v).toFixed(1)}%` : formatCompact(v));
      const name = accuracy ? "test accuracy" : "test R²";
      return [frame?.test_metric > target, `${name} ${shown(frame?.test_metric)} > ${shown(target)}`];
    }
    case "epochsAtLeast":
      return [frame?.epoch >= target, `epoch ${frame?.epoch ?? 0} (at least ${target})`];
    case "maxNeurons": {
      const neurons = hidden.reduce((sum, n) => sum + n, 0);
      return [neurons <= target, `${neurons} hidden neurons (at most ${target})`];
    }
    case "maxHiddenLayers":
      return [hidden.length <= target, `${hidden.length} hidden layers (at most ${target})`];
    case "features":
      return [target.every((f) => state.features.includes(f)), `features ${target.join(", ")} on`];
    case "testOverTrainAbove": {
      const ratio = frame ? frame.test_loss / frame.train_loss : NaN;
      return [ratio > target, `test loss / training loss ${formatCompact(ratio)} > ${target}`];
    }
    case "diverged":
      return [now.diverged === target, "training diverged"];
    case "inspectorStage":
      return [now.inspectorStage >= target, `inspector at stage ${now.inspectorStage ?? 0} of ${target}`];
    default:
      throw new Error(`lesson goal: unknown condition ${kind}`);
  }
}

/** Whether `goal` holds now, and each of its conditions in words. */
export function checkGoal(goal, now) {
  const parts = Object.entries(goal).map(([kind, target]) => condition(kind, target, now));
  return { met: parts.every(([holds]) => holds), parts };
}

/**
 * Build the Lessons menu; `actions.start(lesson)` starts a lesson, `actions.close()` leaves it.
 * Returns {show(lesson), check(now)}: show a lesson's card (null hides it), check its goal.
 */
export function buildLessons(actions) {
  const button = byId("lessons");
  const menu = byId("lesson-list");
  const card = byId("lesson-card");
  menu.replaceChildren(
    ...LESSONS.map((lesson, i) => {
      const item = document.createElement("button");
      item.type = "button";
      item.className = "lesson-item";
      item.dataset.testid = "lesson";
      item.dataset.lesson = lesson.id;
      const title = Object.assign(document.createElement("b"), { textContent: `${i + 1}. ${lesson.title}` });
      const summary = Object.assign(document.createElement("span"), { textContent: lesson.summary });
      item.append(title, summary);
      item.addEventListener("click", () => {
        openMenu(false);
        actions.start(lesson);
      });
      return item;
    }),
  );
  const openMenu = (open) => {
    menu.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    if (open) menu.querySelector("button")?.focus();
  };
  button.addEventListener("click", () => openMenu(menu.hidden));
  menu.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.stopPropagation();
      openMenu(false);
      button.focus();
    }
  });
  document.addEventListener("click", (event) => {
    if (!menu.hidden && !menu.contains(event.target) && !button.contains(event.target)) openMenu(false);
  });
  byId("lesson-close").addEventListener("click", actions.close);
  byId("lesson-restart").addEventListener("click", () => actions.start(lessonById(card.dataset.lesson)));

  let shown = null;
  let reached = false; // a goal once reached stays reached, though the loss moves on
  return {
    show(lesson) {
      shown = lesson;
      reached = false;
      card.hidden = !lesson;
      if (!lesson) return;
      card.dataset.lesson = lesson.id;
      card.querySelector(".lesson-title").textContent = lesson.title;
      card.querySelector(".lesson-task").textContent = lesson.task;
      card.querySelector(".lesson-look").textContent = lesson.look;
      card.querySelector(".lesson-question").textContent = lesson.question;
      byId("lesson-check").dataset.met = "false";
    },
    check(now) {
      if (!shown) return;
      const { met, parts } = checkGoal(shown.goal, now);
      reached ||= met;
      const result = byId("lesson-check");
      const text = `${reached ? "✓ Done" : "Not yet"}: ${parts.map(([, words]) => words).join("; ")}`;
      if (result.textContent !== text) result.textContent = text;
      result.dataset.met = String(reached);
    },
  };
}
