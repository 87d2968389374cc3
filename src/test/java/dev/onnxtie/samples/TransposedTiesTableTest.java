package dev.onnxtie.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.cli.OnnxTieCli;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * docs/memory.md's table of which form saves what in ONNX Runtime is bench/transposed_ties.sh's
 * output (bench/transposed-ties.tsv), not written by hand; and what onnx-tie says about each model
 * agrees with what the bench measured: {@code check --transposed-ties} fails where the Gemm form
 * saves memory, and passes where it saves nothing.
 */
class TransposedTiesTableTest {
  static final Path TSV = Path.of("bench", "transposed-ties.tsv");
  static final Path README = Path.of("docs/memory.md");
  static final String BEGIN = "<!-- begin: bench/transposed_ties.sh -->";
  static final String END = "<!-- end: bench/transposed_ties.sh -->";

  /** The weight of bench/transposed_ties.py: float32 [50257, 160]. */
  static final double WEIGHT_MIB = 50257.0 * 160 * 4 / (1 << 20);

  private static List<String[]> rows() throws Exception {
    List<String> lines = Files.readAllLines(TSV, StandardCharsets.UTF_8);
    assertTrue(lines.get(0).startsWith("# bench/transposed_ties.sh, ONNX Runtime "), lines.get(0));
    assertEquals(
        "model\treaders\tform\tfile_mib\tcheck_transposed_ties\theld_prepacking_on\theld_prepacking_off"
            + "\trss_glibc_defaults_prepacking_off",
        lines.get(1));
    List<String[]> rows = new ArrayList<>();
    for (String line : lines.subList(2, lines.size())) {
      String[] cells = line.split("\t", -1);
      assertEquals(8, cells.length, line);
      rows.add(cells);
    }
    return rows;
  }

  @Test
  void theReadmeTableIsTheBenchOutput() throws Exception {
    List<String> lines = Files.readAllLines(TSV, StandardCharsets.UTF_8);
    List<String> expected = new ArrayList<>();
    expected.add(BEGIN);
    expected.add("Measured by " + lines.get(0).substring(2) + ":");
    expected.add("");
    expected.add(
        "| what reads W | form | file (MiB) | `check --transposed-ties` | held by ONNX Runtime, default: created / run (MiB) "
            + "| held, prepacking off: created / run (MiB) | RSS with glibc defaults, prepacking off: created / run (MiB) |");
    expected.add("|---|---|---:|---|---:|---:|---:|");
    for (String[] row : rows()) {
      expected.add(
          "| " + String.join(" | ", row[1], row[2], row[3], row[4], row[5], row[6], row[7]) + " |");
    }
    expected.add(END);
    String readme = Files.readString(README, StandardCharsets.UTF_8);
    int begin = readme.indexOf(BEGIN);
    int end = readme.indexOf(END);
    assertTrue(
        begin >= 0 && end > begin, "docs/memory.md has the markers of bench/transposed_ties.sh");
    assertEquals(
        String.join("\n", expected),
        readme.substring(begin, end + END.length()),
        "docs/memory.md's table differs from bench/transposed-ties.tsv: run bench/transposed_ties.sh");
  }

  /** The second figure of "created / run". */
  private static double afterRun(String cell) {
    String[] parts = cell.split(" / ");
    assertEquals(2, parts.length, cell);
    return Double.parseDouble(parts[1]);
  }

  /**
   * Numbers measured with another ONNX Runtime are not claimed for this one: rerun the bench after
   * an upgrade.
   */
  @Test
  void theBenchRanWithThisBuildsOnnxRuntime() throws Exception {
    Properties versions = new Properties();
    try (var in = OnnxTieCli.class.getResourceAsStream("versions.properties")) {
      versions.load(in);
    }
    String header = Files.readAllLines(TSV, StandardCharsets.UTF_8).get(0);
    assertTrue(
        header.contains("ONNX Runtime " + versions.getProperty("onnxruntime") + " "),
        header
            + ": measured with another ONNX Runtime than this build's "
            + versions.getProperty("onnxruntime")
            + "; run bench/transposed_ties.sh");
  }

  @Test
  void theWarningFiresWhereTheGemmFormSavesMemory() throws Exception {
    Map<String, String[]> byModel = new LinkedHashMap<>();
    rows().forEach(row -> byModel.put(row[0], row));
    // held by ONNX Runtime with prepacking off, after one run (once the session has touched its
    // weights)
    double singleTranspose = afterRun(byModel.get("single_transpose")[6]);
    double singleGemm = afterRun(byModel.get("single_gemm")[6]);
    double pairTranspose = afterRun(byModel.get("pair_transpose")[6]);
    double pairGemm = afterRun(byModel.get("pair_gemm")[6]);
    // one reader: ONNX Runtime holds W once either way; onnx-tie says nothing
    assertTrue(
        singleGemm > singleTranspose - WEIGHT_MIB / 2,
        "the Gemm form saves nothing with one reader: " + singleGemm + " vs " + singleTranspose);
    assertEquals("passes", byModel.get("single_transpose")[4]);
    // Gather + Transpose: a second copy, which the Gemm form saves with prepacking off; onnx-tie
    // gates on it
    assertTrue(
        pairTranspose - pairGemm > WEIGHT_MIB * 0.8,
        "the Gemm form saves the copy: " + pairTranspose + " vs " + pairGemm);
    assertEquals("fails", byModel.get("pair_transpose")[4]);
    assertEquals("passes", byModel.get("pair_gemm")[4]);
  }
}
