// The page of `snt-zoo serve`: draw or drop an image, see the top classes,
// the activations at each block and the run's card. Plain JavaScript; every
// request goes to the server that served this page.
"use strict";

const state = { models: [], model: null, busy: false, again: false,
                drawing: false, drawn: false };
const $ = (id) => document.getElementById(id);

function modelUrl(suffix) {
  return "/v1/models/" + encodeURIComponent(state.model.name) + suffix;
}

function setStatus(text, isError) {
  $("status").textContent = text || "";
  $("status").classList.toggle("error", Boolean(isError));
}

async function answer(response) {
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new Error(body.error || ("HTTP " + response.status));
  }
  return body;
}

// The top classes as bars -------------------------------------------------

function showPrediction(prediction) {
  const top = $("top-class");
  top.textContent = prediction.class_name;
  top.dataset.class = prediction.class_name;
  const bars = $("bars");
  bars.replaceChildren();
  for (const entry of prediction.top_k) {
    const row = document.createElement("div");
    row.className = "bar";
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = entry.class_name;
    const track = document.createElement("span");
    track.className = "track";
    const fill = document.createElement("span");
    fill.className = "fill";
    fill.style.display = "block";
    fill.style.width = (100 * entry.probability).toFixed(1) + "%";
    track.appendChild(fill);
    const value = document.createElement("span");
    value.className = "value";
    value.textContent = (100 * entry.probability).toFixed(1) + "%";
    row.append(name, track, value);
    bars.appendChild(row);
  }
}

// What the network sees -----------------------------------------------------

function showLayers(layers) {
  const box = $("layers");
  box.replaceChildren();
  for (const layer of layers) {
    const figure = document.createElement("figure");
    figure.className = "layer";
    const image = document.createElement("img");
    image.src = "data:image/png;base64," + layer.png;
    image.alt = layer.name + " activations";
    const caption = document.createElement("figcaption");
    caption.textContent = layer.name + " " + layer.shape.join("x") +
        (layer.channels_shown < layer.shape[2]
         ? " (first " + layer.channels_shown + " channels)" : "");
    figure.append(image, caption);
    box.appendChild(figure);
  }
  $("sees-note").textContent = layers.length
      ? "Each tile is one channel of that block, brighter is stronger."
      : "This model has no spatial blocks to show.";
}

async function requestLayers(init) {
  if (!state.model.endpoints) {
    return;
  }
  try {
    showLayers((await answer(await fetch(modelUrl("/activations"), init)))
               .layers);
  } catch (error) {
    $("sees-note").textContent = error.message;
  }
}

// Drawing -------------------------------------------------------------------

const canvas = $("canvas");
const pen = canvas.getContext("2d");

function clearCanvas() {
  pen.fillStyle = "#000";
  pen.fillRect(0, 0, canvas.width, canvas.height);
  state.drawn = false;
}

function point(event) {
  const box = canvas.getBoundingClientRect();
  return [(event.clientX - box.left) * canvas.width / box.width,
          (event.clientY - box.top) * canvas.height / box.height];
}

// The drawing as MNIST digits are: the stroke's box scaled to 20 pixels and
// centred by its mass in a 28x28 grey image.
function digitPixels() {
  const [height, width] = state.model.image_size;
  const source = pen.getImageData(0, 0, canvas.width, canvas.height).data;
  let top = canvas.height, left = canvas.width, bottom = -1, right = -1;
  for (let y = 0; y < canvas.height; y++) {
    for (let x = 0; x < canvas.width; x++) {
      if (source[4 * (y * canvas.width + x)] > 20) {
        top = Math.min(top, y); bottom = Math.max(bottom, y);
        left = Math.min(left, x); right = Math.max(right, x);
      }
    }
  }
  const small = document.createElement("canvas");
  small.width = width;
  small.height = height;
  const out = small.getContext("2d");
  out.fillStyle = "#000";
  out.fillRect(0, 0, width, height);
  if (bottom >= 0) {
    const side = Math.max(bottom - top + 1, right - left + 1);
    const scale = (0.72 * Math.min(width, height)) / side;
    const w = (right - left + 1) * scale, h = (bottom - top + 1) * scale;
    out.imageSmoothingEnabled = true;
    out.imageSmoothingQuality = "high";
    out.drawImage(canvas, left, top, right - left + 1, bottom - top + 1,
                  (width - w) / 2, (height - h) / 2, w, h);
  }
  const data = out.getImageData(0, 0, width, height).data;
  let mass = 0, sumX = 0, sumY = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = data[4 * (y * width + x)];
      mass += v; sumX += v * x; sumY += v * y;
    }
  }
  const shiftX = mass ? Math.round((width - 1) / 2 - sumX / mass) : 0;
  const shiftY = mass ? Math.round((height - 1) / 2 - sumY / mass) : 0;
  const pixels = [];
  for (let y = 0; y < height; y++) {
    const row = [];
    for (let x = 0; x < width; x++) {
      const sx = x - shiftX, sy = y - shiftY;
      const inside = sx >= 0 && sy >= 0 && sx < width && sy < height;
      row.push([inside ? data[4 * (sy * width + sx)] : 0]);
    }
    pixels.push(row);
  }
  return pixels;
}

async function predictDrawing(withLayers) {
  if (!state.drawn) {
    return;
  }
  if (state.busy) {
    state.again = true;
    return;
  }
  state.busy = true;
  const init = { method: "POST", headers: { "Content-Type": "application/json" },
                 body: JSON.stringify({ instances: [digitPixels()] }) };
  try {
    showPrediction((await answer(await fetch(modelUrl(":predict"), init)))
                   .predictions[0]);
    setStatus("");
    if (withLayers) {
      await requestLayers(init);
    }
  } catch (error) {
    setStatus(error.message, true);
  } finally {
    state.busy = false;
  }
  if (state.again) {
    state.again = false;
    predictDrawing(!state.drawing);
  }
}

canvas.addEventListener("pointerdown", (event) => {
  canvas.setPointerCapture(event.pointerId);
  state.drawing = true;
  const [x, y] = point(event);
  pen.beginPath();
  pen.moveTo(x, y);
  pen.lineTo(x + 0.1, y + 0.1);
  pen.stroke();
  state.drawn = true;
});
canvas.addEventListener("pointermove", (event) => {
  if (!state.drawing) {
    return;
  }
  const [x, y] = point(event);
  pen.lineTo(x, y);
  pen.stroke();
  predictDrawing(false);
});
function endStroke() {
  if (state.drawing) {
    state.drawing = false;
    predictDrawing(true);
  }
}
canvas.addEventListener("pointerup", endStroke);
canvas.addEventListener("pointercancel", endStroke);
$("clear").addEventListener("click", () => {
  clearCanvas();
  $("bars").replaceChildren();
  $("top-class").textContent = "-";
  $("top-class").dataset.class = "";
});

// Uploads -------------------------------------------------------------------

async function predictFile(file) {
  if (!file) {
    return;
  }
  const preview = $("preview");
  preview.src = URL.createObjectURL(file);
  preview.hidden = false;
  const form = () => {
    const data = new FormData();
    data.append("files", file, file.name);
    return { method: "POST", body: data };
  };
  setStatus("Classifying " + file.name + "...");
  try {
    showPrediction((await answer(await fetch(modelUrl("/upload"), form())))
                   .predictions[0]);
    setStatus("");
    await requestLayers(form());
  } catch (error) {
    setStatus(error.message, true);
  }
}

$("file").addEventListener("change", (event) =>
    predictFile(event.target.files[0]));
const drop = $("drop");
drop.addEventListener("dragover", (event) => {
  event.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  predictFile(event.dataTransfer.files[0]);
});

// The run card --------------------------------------------------------------

function fact(name, value) {
  const row = document.createElement("tr");
  const head = document.createElement("th");
  head.textContent = name;
  const cell = document.createElement("td");
  cell.textContent = value === null || value === undefined ? "not recorded"
                                                           : String(value);
  row.append(head, cell);
  return row;
}

function showCard(model) {
  const evaluation = model.evaluation;
  const facts = $("facts");
  facts.replaceChildren(
      fact("Model", model.model),
      fact("Parameters", model.parameters === null ? null
           : model.parameters.toLocaleString("en")),
      fact("Data", model.data_source),
      fact("Precision", model.precision),
      fact("Format", model.format + " (" + model.kind + ")"),
      fact("Input", model.image_size.join("x") + "x" + model.channels + ", " +
           model.normalization),
      fact("Classes", model.class_names.join(", ")),
      fact("Recorded accuracy", evaluation
           ? (100 * evaluation.accuracy).toFixed(2) + "% on " +
             evaluation.split + " at step " + evaluation.step
           : null),
      fact("Run", model.run_dir));
  const pictures = $("pictures");
  pictures.replaceChildren();
  for (const name of model.pictures) {
    const figure = document.createElement("figure");
    const image = document.createElement("img");
    image.alt = name;
    image.loading = "lazy";
    image.src = modelUrl("/card/" + name + ".png");
    const caption = document.createElement("figcaption");
    caption.className = "hint";
    caption.textContent = name === "curves" ? "Learning curves"
                                            : "Confusion matrix";
    image.addEventListener("error", () => {
      caption.textContent += ": not available";
    });
    figure.append(image, caption);
    pictures.appendChild(figure);
  }
  if (!model.pictures.length) {
    pictures.textContent = "The training run is not on this machine: no " +
        "learning curves or confusion matrix.";
  }
}

// Choosing a model ----------------------------------------------------------

function selectModel(name) {
  state.model = state.models.find((m) => m.name === name);
  const model = state.model;
  const digits = model.channels === 1 && model.image_size[0] === 28 &&
      model.image_size[1] === 28;
  $("draw").hidden = !digits;
  clearCanvas();
  $("bars").replaceChildren();
  $("top-class").textContent = "-";
  $("top-class").dataset.class = "";
  $("layers").replaceChildren();
  $("sees-note").textContent = model.endpoints
      ? "The activations of your image at each block appear here."
      : "This model is an export: it keeps only the probabilities, not " +
        "the activations of its blocks. Serve the run directory to see them.";
  showCard(model);
}

async function start() {
  clearCanvas();
  pen.strokeStyle = "#fff";
  pen.lineWidth = 20;
  pen.lineCap = "round";
  pen.lineJoin = "round";
  try {
    state.models = (await answer(await fetch("/v1/models"))).models;
  } catch (error) {
    setStatus(error.message, true);
    return;
  }
  const select = $("model");
  for (const model of state.models) {
    const option = document.createElement("option");
    option.value = model.name;
    option.textContent = model.name;
    select.appendChild(option);
  }
  select.addEventListener("change", () => selectModel(select.value));
  selectModel(state.models[0].name);
  document.body.dataset.ready = "true";
}

start();
