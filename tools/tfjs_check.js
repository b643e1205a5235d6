// Runs a `snt-zoo export --format tfjs` model in Node with the pure-JS
// @tensorflow/tfjs backend and compares it with the SavedModel.
//
//   npm install @tensorflow/tfjs@4.22.0          (in a folder of your own)
//   NODE_PATH=$PWD/node_modules node tools/tfjs_check.js \
//       RUN_DIR/export-tfjs reference.json
//
// reference.json holds uint8 images and the SavedModel's probabilities
// (docs/export.md shows the three lines of Python that write it). Prints the
// labels and output names read from the model's metadata, the largest
// absolute difference of the probabilities, and how many predicted classes
// agree; exits 1 if any class differs.
const fs = require("fs");
const path = require("path");
const tf = require("@tensorflow/tfjs");

async function loadModel(directory) {
  const model = JSON.parse(fs.readFileSync(path.join(directory, "model.json")));
  const weightSpecs = [];
  const buffers = [];
  for (const group of model.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const file of group.paths) {
      buffers.push(fs.readFileSync(path.join(directory, file)));
    }
  }
  const joined = Buffer.concat(buffers);
  const weightData = joined.buffer.slice(
      joined.byteOffset, joined.byteOffset + joined.byteLength);
  const graph = await tf.loadGraphModel(tf.io.fromMemory({
    modelTopology: model.modelTopology, weightSpecs, weightData,
    format: model.format, generatedBy: model.generatedBy,
    convertedBy: model.convertedBy, signature: model.signature,
    userDefinedMetadata: model.userDefinedMetadata}));
  return {graph, metadata: (model.userDefinedMetadata || {}).snt_zoo || {}};
}

async function main() {
  const [directory, referencePath] = process.argv.slice(2);
  if (!directory || !referencePath) {
    console.error("usage: node tools/tfjs_check.js TFJS_DIR reference.json");
    process.exit(2);
  }
  const {graph, metadata} = await loadModel(directory);
  const reference = JSON.parse(fs.readFileSync(referencePath));
  // TensorFlow.js has no uint8 tensors: the 0-255 values go in as int32.
  const images = tf.tensor(reference.images, reference.shape, "int32");
  const outputs = metadata.outputs;  // {"probabilities": "Identity_1", ...}
  const [probabilities, classes] = graph.execute(
      {images}, [outputs.probabilities, outputs.classes]);
  const got = await probabilities.array();
  const predicted = await classes.array();
  let maxDiff = 0;
  let agree = 0;
  got.forEach((row, i) => {
    row.forEach((p, k) => {
      maxDiff = Math.max(maxDiff, Math.abs(p - reference.probabilities[i][k]));
    });
    const expected = reference.probabilities[i].indexOf(
        Math.max(...reference.probabilities[i]));
    agree += Number(predicted[i]) === expected ? 1 : 0;
  });
  console.log(`tfjs ${tf.version.tfjs}, backend ${tf.getBackend()}`);
  console.log(`labels: ${metadata.class_names.join(" ")}`);
  console.log(`outputs: ${JSON.stringify(outputs)}`);
  console.log(`${got.length} images: max abs difference ${maxDiff.toExponential(2)}` +
              `, classes agree ${agree}/${got.length}`);
  process.exit(agree === got.length ? 0 : 1);
}

main();
