package dev.onnxtie.model;

import com.google.protobuf.UnsafeByteOperations;
import dev.onnxtie.OnnxTieException;
import dev.onnxtie.proto.Onnx.ModelProto;
import dev.onnxtie.proto.Onnx.StringStringEntryProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The names a write may give its data file, and the data files models read: a write never
 * overwrites or deletes what the model at the output, a surviving input or any other model of the
 * folder reads, so a new data file takes the first free name ({@code x.data}, {@code x.1.data},
 * ...) and the model rename stays the single commit point.
 */
final class DataNames {
  private DataNames() {}

  /** The refusal of an explicit data file name that a model or data file of the folder has. */
  static String takenMessage(String name, Path folder) {
    return "the data file name "
        + name
        + " is taken: a model or data file of "
        + folder
        + " that is read or being replaced has it; choose another name";
  }

  /**
   * Plans a write of {@code targets} (and, with {@code external}, a data file) into {@code folder}.
   * Nothing the inputs or the folder's other models read, and no model file, is ever overwritten or
   * deleted: a default data file name moves to the first free alternate ({@code x.data}, {@code
   * x.1.data}, ...), an explicit one that another model or a surviving input reads is refused, and
   * one that only the model being replaced reads (the same command run again) moves to an alternate
   * as a default name does (and goes back after the commit).
   *
   * @throws dev.onnxtie.OnnxTieException (bad input) when an output would overwrite what an input
   *     reads
   */
  static Staging.Plan plan(
      Path folder,
      String wanted,
      boolean explicit,
      boolean external,
      List<Path> targets,
      List<OnnxModel> inputs) {
    Set<String> targetNames = new HashSet<>();
    targets.forEach(t -> targetNames.add(t.getFileName().toString()));
    Set<String> targetReads = locationsOfTargets(targets);
    Set<String> superseded = new HashSet<>(targetReads);
    Set<String> inputReads = new HashSet<>();
    Set<String> taken = new HashSet<>(targetNames);
    Set<String> survivingReads = new HashSet<>();
    for (OnnxModel input : inputs) {
      Set<String> reads = readsIn(input, folder);
      inputReads.addAll(reads);
      if (input.source() != null
          && FileOps.sameFile(input.source().toAbsolutePath().getParent(), folder)) {
        String name = input.source().getFileName().toString();
        if (!targetNames.contains(name)) {
          // an input that stays (not rewritten in place) keeps its file and what it reads
          taken.add(name);
          survivingReads.addAll(reads);
        }
      } else {
        survivingReads.addAll(reads);
      }
    }
    for (String target : targetNames) {
      if (inputReads.contains(target)) {
        throw OnnxTieException.badInput(
            "the output "
                + target
                + " is a data file the input reads; writing it would destroy the input");
      }
    }
    taken.addAll(survivingReads);
    // superseded names are checked again at the commit, against the folder's models then
    superseded.removeAll(taken);
    if (!external) {
      return new Staging.Plan(wanted, superseded);
    }
    // the folder's other models are parsed only when a name this write would take is there already
    OtherModels others = new OtherModels(folder, targetNames);
    if (explicit) {
      if (taken.contains(wanted) || others.take(wanted)) {
        throw OnnxTieException.badInput(takenMessage(wanted, folder));
      }
      if (!targetReads.contains(wanted)) {
        return new Staging.Plan(wanted, superseded);
      }
      // only the model being replaced reads it (the same command run again): the data goes to the
      // first free alternate name and back to this one after the commit, as a default name does
    }
    Set<String> blocked = new HashSet<>(taken);
    blocked.addAll(targetReads);
    String stem =
        wanted.endsWith(".data") ? wanted.substring(0, wanted.length() - ".data".length()) : wanted;
    String suffix = wanted.endsWith(".data") ? ".data" : "";
    for (int n = 0; n < 1000; n++) {
      String candidate = n == 0 ? wanted : stem + "." + n + suffix;
      if (!blocked.contains(candidate) && !others.take(candidate)) {
        return new Staging.Plan(candidate, superseded);
      }
    }
    throw OnnxTieException.badInput(
        "no free name for the data file beside "
            + wanted
            + "; choose one with --external-data NAME");
  }

  /** The folder's models other than the targets and what they read, parsed on first need. */
  private static final class OtherModels {
    private final Path folder;
    private final Set<String> targetNames;
    private Set<String> taken;

    OtherModels(Path folder, Set<String> targetNames) {
      this.folder = folder;
      this.targetNames = targetNames;
    }

    /**
     * True when writing {@code name} could overwrite a model file or a file another model reads. A
     * name that is not in the folder overwrites nothing and needs no parsing.
     */
    boolean take(String name) {
      if (!Files.exists(folder.resolve(name), LinkOption.NOFOLLOW_LINKS)) {
        return false;
      }
      if (taken == null) {
        taken = new HashSet<>();
        try (DirectoryStream<Path> models = Files.newDirectoryStream(folder, "*.onnx")) {
          for (Path model : models) {
            String file = model.getFileName().toString();
            taken.add(file);
            if (!targetNames.contains(file)) {
              Set<String> reads = locations(model);
              if (reads != null) {
                taken.addAll(reads);
              }
            }
          }
        } catch (IOException e) {
          // an unlistable folder fails the write later with its own message
        }
      }
      return taken.contains(name);
    }
  }

  private static Set<String> locationsOfTargets(List<Path> targets) {
    Set<String> reads = new HashSet<>();
    for (Path target : targets) {
      Set<String> found = locations(target);
      if (found != null) {
        reads.addAll(found);
      }
    }
    return reads;
  }

  /** The data file names a read model takes from {@code folder} (empty when it lives elsewhere). */
  static Set<String> readsIn(OnnxModel model, Path folder) {
    Path base = model.externalData().baseDir();
    if (base == null) {
      return Set.of();
    }
    Set<String> reads = new HashSet<>();
    collect(model.proto(), reads);
    if (reads.isEmpty()) {
      return reads; // a model without external data reads nothing anywhere: no path resolved
    }
    try {
      if (!base.toRealPath().equals(folder.toRealPath())) {
        return Set.of();
      }
    } catch (IOException e) {
      return Set.of();
    }
    return reads;
  }

  private static void collect(ModelProto proto, Set<String> reads) {
    ProtoGraphs.visit(
        proto,
        (path, depth, graph) -> {
          List<TensorProto> tensors = new ArrayList<>(graph.getInitializerList());
          tensors.addAll(ProtoGraphs.attributeTensors(graph));
          for (TensorProto tensor : tensors) {
            for (StringStringEntryProto entry : tensor.getExternalDataList()) {
              if (entry.getKey().equals("location")) {
                reads.add(entry.getValue());
              }
            }
          }
        });
  }

  /**
   * The external data files a model file reads, resolved against its folder and sorted; empty if it
   * reads none, does not exist or cannot be parsed (reading it then fails on its own).
   */
  public static List<Path> dataFilesOf(Path model) {
    Set<String> reads = locations(model);
    Path folder = model.toAbsolutePath().getParent();
    if (reads == null || folder == null) {
      return List.of();
    }
    List<Path> files = new ArrayList<>();
    for (String location : reads.stream().sorted().toList()) {
      try {
        files.add(folder.resolve(location));
      } catch (InvalidPathException e) {
        // not a name this system can open: reading the model refuses it
      }
    }
    return files;
  }

  /** External data locations a model file reads; empty if absent, null if it cannot be parsed. */
  static Set<String> locations(Path model) {
    if (!Files.isRegularFile(model)) {
      return Set.of();
    }
    try (FileChannel channel = FileChannel.open(model, StandardOpenOption.READ)) {
      if (channel.size() > Integer.MAX_VALUE) {
        return null;
      }
      var input =
          UnsafeByteOperations.unsafeWrap(
                  channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size()))
              .newCodedInput();
      input.enableAliasing(true);
      Set<String> reads = new HashSet<>();
      collect(ModelProto.parseFrom(input), reads);
      return reads;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }
}
