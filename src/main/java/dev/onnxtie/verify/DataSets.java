package dev.onnxtie.verify;

import dev.onnxtie.OnnxTieException;
import dev.onnxtie.proto.Onnx.TypeProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The files of a data set in ONNX's test layout ({@code input_0.pb}, ..., {@code output_0.pb},
 * ...).
 */
final class DataSets {
  private static final Pattern DATA_FILE = Pattern.compile("(input|output)_(\\d+)\\.pb");

  private DataSets() {}

  /** A value read from a data-set file. */
  record DataItem(Value value, Path file) {}

  /**
   * Reads {@code kind_N.pb} files of an ONNX test-layout folder, matched to the declared names by
   * the name in the file, or by N when that name is empty or unknown. Unmatched files are bad input
   * for inputs; for outputs they are kept under {@code output_N}, to be reported as missing.
   */
  static Map<String, DataItem> readDataSet(
      Path folder, String kind, Map<String, TypeProto> declared, boolean strict) {
    if (!Files.isDirectory(folder)) {
      throw OnnxTieException.badInput("data set " + folder + " is not a folder");
    }
    Map<Integer, Path> files = new TreeMap<>();
    try (Stream<Path> listing = Files.list(folder)) {
      listing.forEach(
          file -> {
            Matcher matcher = DATA_FILE.matcher(file.getFileName().toString());
            if (matcher.matches() && matcher.group(1).equals(kind)) {
              files.put(Integer.parseInt(matcher.group(2)), file);
            }
          });
    } catch (IOException | NumberFormatException e) {
      throw OnnxTieException.badInput("cannot list data set " + folder + ": " + e.getMessage(), e);
    }
    List<String> names = new ArrayList<>(declared.keySet());
    Map<String, DataItem> values = new LinkedHashMap<>();
    for (Map.Entry<Integer, Path> entry : files.entrySet()) {
      Path file = entry.getValue();
      String named = DataFiles.nameIn(file);
      String target =
          declared.containsKey(named)
              ? named
              : entry.getKey() < names.size() ? names.get(entry.getKey()) : null;
      if (target == null) {
        if (strict) {
          throw OnnxTieException.badInput(
              file
                  + (named.isEmpty() ? "" : " holds '" + named + "', which")
                  + " matches no "
                  + kind
                  + " of the model; "
                  + kind
                  + "s: "
                  + (names.isEmpty() ? "(none)" : String.join(", ", names)));
        }
        target = kind + "_" + entry.getKey();
      }
      values.put(target, new DataItem(DataFiles.readValue(file, declared.get(target)), file));
    }
    return values;
  }
}
