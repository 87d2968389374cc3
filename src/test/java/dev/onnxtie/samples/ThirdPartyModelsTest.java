package dev.onnxtie.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.onnxtie.Cli;
import dev.onnxtie.OnnxChecker;
import dev.onnxtie.ThirdPartyModels;
import dev.onnxtie.cli.JsonOutput;
import dev.onnxtie.proto.Onnx.ModelProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Real third-party exports that Maven Central ships in jars (langchain4j's quantized sentence
 * encoders, see {@link ThirdPartyModels}): inspect finds exactly the duplicate groups that the ONNX
 * Python package finds on its own (initializers grouped by dtype, shape and exact bytes, transposes
 * and reshapes looked for too), check fails on them, rewrite --verify ties them and passes in ONNX
 * Runtime, and check passes on the result.
 */
class ThirdPartyModelsTest {
  @TempDir Path dir;

  /**
   * The independent count: every pair of initializers of at least MIN_BYTES bytes with the same
   * dtype and byte count is compared with numpy (same bytes: identical or reshaped; a 2-D one whose
   * transpose has the other's bytes: transposed), pairs are joined into groups; prints the groups
   * (sorted name lists) and the bytes all copies but one of each group take.
   */
  static final String COUNT =
      String.join(
          "\n",
          "import json, sys",
          "import onnx",
          "from onnx import numpy_helper",
          "m = onnx.load(sys.argv[1])",
          "min_bytes = int(sys.argv[2])",
          "tensors = [(t.name, numpy_helper.to_array(t)) for t in m.graph.initializer]",
          "tensors = [(n, a) for n, a in tensors if a.dtype != object and a.nbytes >= min_bytes]",
          "parent = {n: n for n, _ in tensors}",
          "def find(x):",
          "    while parent[x] != x:",
          "        x = parent[x]",
          "    return x",
          "for i, (na, a) in enumerate(tensors):",
          "    for nb, b in tensors[i + 1:]:",
          "        if a.dtype != b.dtype or a.nbytes != b.nbytes:",
          "            continue",
          "        same = a.tobytes() == b.tobytes()",
          "        transposed = a.ndim == 2 and b.shape == a.shape[::-1] and a.T.tobytes() == b.tobytes()",
          "        if same or transposed:",
          "            parent[find(nb)] = find(na)",
          "groups = {}",
          "for n, a in tensors:",
          "    groups.setdefault(find(n), []).append((n, a.nbytes))",
          "groups = [g for g in groups.values() if len(g) > 1]",
          "print(json.dumps({'groups': [sorted(n for n, _ in g) for g in groups],",
          "                  'wasted': sum(sum(b for _, b in g) - g[0][1] for g in groups),",
          "                  'initializers': len(m.graph.initializer)}))");

  static JsonObject countWithOnnx(Path model, long minBytes) throws Exception {
    Process count =
        new ProcessBuilder(
                OnnxChecker.PYTHON, "-c", COUNT, model.toString(), Long.toString(minBytes))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String output = new String(count.getInputStream().readAllBytes());
    assertTrue(count.waitFor(300, TimeUnit.SECONDS), "the ONNX count timed out");
    assertEquals(
        0,
        count.exitValue(),
        "the ONNX count failed (python3-onnx and python3-numpy are needed): " + output);
    return JsonParser.parseString(output).getAsJsonObject();
  }

  static Set<Set<String>> groups(JsonArray groups) {
    Set<Set<String>> sets = new HashSet<>();
    for (JsonElement group : groups) {
      Set<String> names = new TreeSet<>();
      group.getAsJsonArray().forEach(name -> names.add(name.getAsString()));
      sets.add(names);
    }
    return sets;
  }

  /** The groups inspect --json reports: the kept tensor and its members. */
  static Set<Set<String>> inspectedGroups(JsonObject model) {
    Set<Set<String>> sets = new HashSet<>();
    for (JsonElement element : model.getAsJsonArray("duplicates")) {
      JsonObject group = element.getAsJsonObject();
      Set<String> names = new TreeSet<>(List.of(group.get("kept").getAsString()));
      group
          .getAsJsonArray("members")
          .forEach(member -> names.add(member.getAsJsonObject().get("name").getAsString()));
      sets.add(names);
    }
    return sets;
  }

  @ParameterizedTest
  @ValueSource(strings = {ThirdPartyModels.ALL_MINILM_L6_V2_Q, ThirdPartyModels.E5_SMALL_V2_Q})
  void duplicatesMatchTheOnnxCountAndTheRewriteVerifies(String name) throws Exception {
    Path model = ThirdPartyModels.extract(name, dir);
    long minBytes = 64;
    JsonObject expected = countWithOnnx(model, minBytes);
    Set<Set<String>> expectedGroups = groups(expected.getAsJsonArray("groups"));
    assertFalse(expectedGroups.isEmpty(), name + ": the quantized export repeats its zero points");
    int duplicates = expectedGroups.stream().mapToInt(group -> group.size() - 1).sum();

    Cli inspect =
        Cli.run("inspect", model.toString(), "--min-bytes", Long.toString(minBytes), "--json");
    assertEquals(0, inspect.code(), inspect.err());
    JsonObject report =
        JsonOutput.result(inspect).getAsJsonArray("models").get(0).getAsJsonObject();
    assertEquals(
        expectedGroups, inspectedGroups(report), name + ": the same groups as the ONNX count");
    // the copies' tensor bytes are the ONNX count's; the waste is what the rewrite removes on disk
    // (one plan):
    // those bytes plus the removed initializers' entries, less what the rewrite adds
    long copyBytes = 0;
    for (JsonElement group : report.getAsJsonArray("duplicates")) {
      for (JsonElement member : group.getAsJsonObject().getAsJsonArray("members")) {
        copyBytes += member.getAsJsonObject().get("bytes").getAsLong();
      }
    }
    assertEquals(expected.get("wasted").getAsLong(), copyBytes, name);
    long wasted = report.get("wastedBytes").getAsLong();
    assertEquals(
        report.get("bytesBefore").getAsLong() - report.get("bytesAfter").getAsLong(), wasted, name);
    assertTrue(
        wasted >= copyBytes,
        name + ": " + wasted + " bytes saved on disk, " + copyBytes + " in the copies");

    Cli check = Cli.run("check", model.toString(), "--min-bytes", Long.toString(minBytes));
    assertEquals(1, check.code(), check.err());
    assertEquals(
        duplicates,
        check.out().lines().filter(line -> line.contains(" is a copy of ")).count(),
        check.out());

    Path out = dir.resolve("tied-" + name);
    Cli rewrite =
        Cli.run(
            "rewrite",
            model.toString(),
            out.toString(),
            "--min-bytes",
            Long.toString(minBytes),
            "--verify");
    assertEquals(0, rewrite.code(), rewrite.out() + rewrite.err());
    assertTrue(rewrite.out().contains("  " + duplicates + " ties, "), rewrite.out());
    assertTrue(rewrite.out().contains("PASSED: " + out + " against " + model), rewrite.out());
    ModelProto tied = ModelProto.parseFrom(Files.readAllBytes(out));
    assertEquals(
        expected.get("initializers").getAsInt() - duplicates,
        tied.getGraph().getInitializerCount(),
        name);
    Set<String> left =
        tied.getGraph().getInitializerList().stream()
            .map(t -> t.getName())
            .collect(Collectors.toSet());
    for (Set<String> group : expectedGroups) {
      assertEquals(
          1,
          group.stream().filter(left::contains).count(),
          name + ": one tensor of each group stays: " + group);
    }

    Cli after = Cli.run("check", out.toString(), "--min-bytes", Long.toString(minBytes));
    assertEquals(0, after.code(), after.out() + after.err());
    assertEquals(
        0,
        countWithOnnx(out, minBytes).getAsJsonArray("groups").size(),
        name + ": the ONNX count finds no copy left");
  }
}
