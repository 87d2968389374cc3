/**
 * onnx-tie: finds ONNX initializers that are copies, transposes or reshapes of each other, ties
 * them and verifies the result in ONNX Runtime. The library is {@code dev.onnxtie.api} (with the
 * exception and units of {@code dev.onnxtie}); every other package is internal.
 */
module dev.onnxtie {
  exports dev.onnxtie;
  exports dev.onnxtie.api;

  requires com.google.gson;
  requires com.google.protobuf;
  requires transitive com.microsoft.onnxruntime; // TiedSession hands out an OrtSession
  requires java.logging;
  requires java.sql;
  requires org.eclipse.elk.alg.layered;
  requires org.eclipse.elk.core;
  requires org.eclipse.elk.graph;
  // the ELK graph's lists are EMF's: EMF 2.12 names no module, so these are its jars' file names
  requires org.eclipse.emf.common;
  requires org.eclipse.emf.ecore;

  // the JSON of --json and of the HTML report is Gson's rendering of the api's records
  opens dev.onnxtie.api to
      com.google.gson;
}
