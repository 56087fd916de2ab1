/**
 * The guided lessons: short experiments that follow the paper, each one plain data.
 *
 * A lesson is {id, title, summary, hash, open, task, look, question, goal}:
 * - `hash`: the page's configuration in its URL-hash form (docs/frontend.md, "The URL hash"),
 *   on top of the defaults, so a lesson starts from exactly the page a link would open;
 * - `open` (optional): "inspect" (Inspect mode) or an output tab ("layer-space", "confusion");
 * - `task`, `look`, `question`: what to do, what to watch, what to think about;
 * - `goal`: the conditions the page checks on every frame, all of which must hold:
 *   testLossBelow, testMetricAbove (accuracy or R², 0..1), epochsAtLeast, maxNeurons (hidden
 *   neurons in all), maxHiddenLayers, features (all of them on), testOverTrainAbove (test
 *   loss / training loss), diverged (true), inspectorStage (reached in Inspect mode).
 *
 * A teacher writes a lesson by adding an entry here; `#lesson=<id>` opens it (its hash under
 * any other keys of the link), so the page's own link, copied mid-lesson, shares it too.
 */

export const LESSONS = [
  {
    id: "line",
    title: "A line cannot separate a circle",
    summary: "No hidden layer: the boundary stays straight.",
    hash: "dataset=circle&hidden=&features=x1,x2&lr=0.1&activation=tanh",
    task: "Press Play and let it train for 200 epochs.",
    look: "The boundary plot: the orange-blue edge is a straight line, and the accuracy stays near 50%.",
    question: "With no hidden layer the output is σ(w₁x₁ + w₂x₂ + b). Why is its boundary always a line?",
    goal: { epochsAtLeast: 200 },
  },
  {
    id: "features",
    title: "Features do the work",
    summary: "Give the same network x₁² and x₂² and it separates the circle.",
    hash: "dataset=circle&hidden=&features=x1,x2&lr=0.1&activation=tanh",
    task: "Still no hidden layer. Turn on the features x₁² and x₂² and press Play.",
    look: "The boundary becomes a closed curve: a line in (x₁², x₂²) is a circle in (x₁, x₂).",
    question: "Which weights did the network learn for x₁² and x₂²? Hover the edges to read them.",
    goal: { features: ["x1^2", "x2^2"], maxHiddenLayers: 0, testLossBelow: 0.1 },
  },
  {
    id: "bend",
    title: "Hidden layers bend the plane",
    summary: "Three tanh neurons, and the layer space where the classes come apart.",
    hash: "dataset=circle&hidden=3&features=x1,x2&lr=0.1&activation=tanh",
    open: "layer-space",
    task: "Press Play and watch the Layer space tab until the test accuracy passes 95%.",
    look:
      "The grid lines of the input plane, mapped by the hidden layer: the plane folds until a " +
      "straight line separates the two classes there.",
    question: "The output layer still draws a line. In which space is that line drawn?",
    goal: { testMetricAbove: 0.95 },
  },
  {
    id: "backprop",
    title: "One backpropagation step by hand",
    summary: "The inspector's five stages: eqs. 32-33, 12-15 and 30-31.",
    hash: "dataset=xor&hidden=2&features=x1,x2&lr=0.1&activation=tanh&batch=1",
    open: "inspect",
    task: "In the inspector, go through the stages with Next until stage 5, Update.",
    look: "Each stage's numbers: the forward pass, the output error δᴸ, δ sent back, ∂C/∂w, the update.",
    question: "In stage 5, check one weight by hand: is W after = W − η · ∂C/∂W?",
    goal: { inspectorStage: 5 },
  },
  {
    id: "vanishing",
    title: "Vanishing gradients",
    summary: "Six sigmoid layers: δ shrinks on its way back.",
    hash:
      "dataset=circle&hidden=8,8,8,8,8,8&features=x1,x2&lr=0.03&activation=sigmoid&logDelta=true&view=backward",
    task: "Press Play for 50 epochs and look at the δ strip under the graph (log scale).",
    look: "δ¹ is several decades smaller than δ⁷: the first layers hardly learn.",
    question: "σ′(z) is at most 1/4. How much can δ shrink over six layers? Try tanh, then ReLU.",
    goal: { epochsAtLeast: 50 },
  },
  {
    id: "learning-rate",
    title: "A learning rate too large",
    summary: "At 10 the steps overshoot and training diverges.",
    hash: "dataset=plane&hidden=4,2&features=x1,x2&lr=10&activation=tanh",
    task: "Press Play.",
    look: "The loss climbs instead of falling, until the numbers overflow and training stops.",
    question: "Which learning rates still converge here? Try 1, 0.3 and 0.03.",
    goal: { diverged: true },
  },
  {
    id: "overfitting",
    title: "Overfitting: noise and few samples",
    summary: "Ten noisy training points, a big network: it learns them, not the circle.",
    hash: "dataset=circle&samples=50&noise=0.5&ratio=0.2&hidden=8,8&features=x1,x2&lr=0.1&activation=tanh&showTest=true",
    task: "Press Play and train until the test loss is twice the training loss.",
    look: "The training loss falls towards 0 while the test loss stops falling or rises.",
    question: "What would bring the two curves together: more samples, less noise, L2 regularization?",
    goal: { epochsAtLeast: 100, testOverTrainAbove: 2 },
  },
  {
    id: "softmax",
    title: "Multi-class with softmax",
    summary: "Four classes: softmax outputs and categorical cross-entropy.",
    hash: "dataset=multi_blobs&classes=4&hidden=6&features=x1,x2&lr=0.1&activation=tanh",
    open: "confusion",
    task: "Press Play until the test accuracy passes 90%, then read the confusion matrix.",
    look: "One output per class; the plot colours each point of the plane by its most likely class.",
    question: "Which classes does the network confuse, and where are they on the plane?",
    goal: { testMetricAbove: 0.9 },
  },
  {
    id: "xor",
    title: "XOR with at most 4 neurons",
    summary: "A challenge: test loss below 0.1 on xor with 4 hidden neurons or fewer.",
    hash: "dataset=xor&hidden=4&features=x1,x2&lr=0.03&activation=tanh",
    task: "Reach a test loss below 0.1 with at most 4 hidden neurons (a feature may help).",
    look: "The test loss readout, and how many neurons each hidden layer has.",
    question: "Which feature makes xor easy, and why?",
    goal: { testLossBelow: 0.1, maxNeurons: 4 },
  },
];
