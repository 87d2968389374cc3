package dev.onnxtie.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.onnxtie.OnnxChecker;
import dev.onnxtie.OnnxTieException;
import dev.onnxtie.TestJvm;
import dev.onnxtie.TestModels;
import dev.onnxtie.model.DataType;
import dev.onnxtie.model.ModelIO;
import dev.onnxtie.model.OnnxModel;
import dev.onnxtie.model.Tensors;
import dev.onnxtie.proto.Onnx.GraphProto;
import dev.onnxtie.proto.Onnx.NodeProto;
import dev.onnxtie.proto.Onnx.TensorProto;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash-safe writes: the real CLI runs {@code rewrite} in a subprocess on a large model (a 32000 x
 * 768 float32 embedding read by Gather plus its exact transpose read by MatMul, 197 MB) and is
 * killed with SIGKILL at points spread over its run: some kills land while it reads and hashes,
 * some while it writes (detected by its staging folder {@value ModelIO#TEMP_PREFIX}... appearing
 * beside the output).
 *
 * <p>After every kill: the output is absent or a complete rewrite that {@link ModelIO#read}
 * accepts, with every tensor byte equal to the input's; with {@code --external-data}, model and
 * data file are both absent or the model reads its own bytes from the data file; the only other
 * entries in the output folder carry {@link ModelIO#TEMP_PREFIX}. Then a normal run of the same
 * command succeeds and removes staging folders older than a minute (the leftovers, aged on
 * purpose). Rounds alternate two inputs whose rewrites differ in every tensor value, so an old
 * model paired with a new data file cannot pass. Two processes writing one output at once both
 * succeed and leave one valid model.
 *
 * <p>Timing only decides where a kill lands; every assertion holds wherever it lands. Rounds:
 * {@code -Dcrash.rounds=N} (default 3), used for each layout's kills and for the concurrent pairs.
 */
class CrashSafeWriteTest {
  static final int VOCAB = 32000;
  static final int HIDDEN = 768;
  static final int ROUNDS = Integer.getInteger("crash.rounds", 3);
  static final long AGED_MILLIS = 120_000;

  @TempDir static Path work;

  /**
   * The two inputs ({@code crash-a}, {@code crash-b}: the same embedding with one bit of every
   * value flipped), read back mapped.
   */
  static final Map<String, Path> INPUTS = new TreeMap<>();

  static final Map<String, OnnxModel> READ_INPUTS = new TreeMap<>();

  @BeforeAll
  static void makeInputs() throws IOException {
    long start = System.nanoTime();
    Random random = new Random(7);
    int[] weight = new int[VOCAB * HIDDEN];
    for (int i = 0; i < weight.length; i++) {
      weight[i] = Float.floatToRawIntBits(random.nextFloat() * 2 - 1);
    }
    byte[] emb = littleEndian(weight);
    byte[] head = littleEndian(transpose(weight, VOCAB, HIDDEN));
    weight = null;
    INPUTS.put("crash-a", writeInput(work.resolve("a.onnx"), "crash-a", emb, head));
    flipTopMantissaBits(emb);
    flipTopMantissaBits(head);
    INPUTS.put("crash-b", writeInput(work.resolve("b.onnx"), "crash-b", emb, head));
    for (Map.Entry<String, Path> input : INPUTS.entrySet()) {
      READ_INPUTS.put(input.getKey(), ModelIO.read(input.getValue()));
    }
    System.out.printf(
        "crash-safe writes: 2 inputs of %d bytes made in %.1f s%n",
        Files.size(INPUTS.get("crash-a")), (System.nanoTime() - start) / 1e9);
  }

  @AfterAll
  static void cleanUp() throws InterruptedException {
    for (Process process : STARTED) {
      process.destroyForcibly();
      process.waitFor(1, TimeUnit.MINUTES);
    }
    READ_INPUTS.values().forEach(OnnxModel::close);
    READ_INPUTS.clear();
  }

  static byte[] littleEndian(int[] values) {
    ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asIntBuffer().put(values);
    return bytes.array();
  }

  /** Row-major transpose of [rows, cols] in cache-sized blocks. */
  static int[] transpose(int[] values, int rows, int cols) {
    int[] out = new int[values.length];
    int block = 64;
    for (int r0 = 0; r0 < rows; r0 += block) {
      for (int c0 = 0; c0 < cols; c0 += block) {
        for (int r = r0; r < Math.min(r0 + block, rows); r++) {
          for (int c = c0; c < Math.min(c0 + block, cols); c++) {
            out[c * rows + r] = values[r * cols + c];
          }
        }
      }
    }
    return out;
  }

  /**
   * Flips the top mantissa bit of every little-endian float32: values stay finite, the transpose
   * relation between the two tensors stays exact, and the model computes something else (a sign
   * flip would not do: Gather and MatMul of the same negated matrix give the same logits).
   */
  static void flipTopMantissaBits(byte[] floats) {
    for (int i = 2; i < floats.length; i += 4) {
      floats[i] ^= (byte) 0x40;
    }
  }

  static Path writeInput(Path file, String graphName, byte[] emb, byte[] head) throws IOException {
    GraphProto graph =
        GraphProto.newBuilder()
            .setName(graphName)
            .addInitializer(tensor("emb", emb, VOCAB, HIDDEN))
            .addInitializer(tensor("onnx::MatMul_head", head, HIDDEN, VOCAB))
            .addInput(TestModels.value("ids", 7, "n"))
            .addOutput(TestModels.value("logits", 1, "n", VOCAB))
            .addNode(TestModels.node("Gather", "embed", List.of("emb", "ids"), List.of("h")))
            .addNode(
                TestModels.node(
                    "MatMul", "head", List.of("h", "onnx::MatMul_head"), List.of("logits")))
            .build();
    try (OutputStream stream = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
      TestModels.model(graph).writeTo(stream);
    }
    return file;
  }

  static TensorProto tensor(String name, byte[] raw, long... dims) {
    TensorProto.Builder tensor =
        TensorProto.newBuilder()
            .setName(name)
            .setDataType(DataType.FLOAT.code())
            .setRawData(UnsafeByteOperations.unsafeWrap(raw));
    for (long dim : dims) {
      tensor.addDims(dim);
    }
    return tensor.build();
  }

  // ---------------------------------------------------------------- running the CLI

  /** One CLI subprocess, its output captured in a log file. */
  record Run(Process process, Path log, long startNanos) {
    long millis() {
      return (System.nanoTime() - startNanos) / 1_000_000;
    }

    String logText() {
      try {
        return Files.readString(log).strip();
      } catch (IOException e) {
        return "(no log: " + e.getMessage() + ")";
      }
    }
  }

  /** Every process started, so that none outlives a failed test. */
  static final List<Process> STARTED = new ArrayList<>();

  /** Starts {@code onnx-tie args...} as the launcher does ({@code java -jar}, no JVM options). */
  static Run start(List<String> args) throws IOException {
    List<String> command = new ArrayList<>(TestJvm.cli());
    command.addAll(args);
    Path log = work.resolve("run-" + STARTED.size() + ".log");
    Process process =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    STARTED.add(process);
    return new Run(process, log, System.nanoTime());
  }

  static List<String> rewrite(String input, Path out, boolean external) {
    List<String> args =
        new ArrayList<>(List.of("rewrite", INPUTS.get(input).toString(), out.toString()));
    if (external) {
      args.add("--external-data");
    }
    return args;
  }

  static void finishNormally(Run run, String what) throws Exception {
    assertTrue(run.process().waitFor(5, TimeUnit.MINUTES), what + " did not finish in 5 minutes");
    assertEquals(0, run.process().exitValue(), what + " failed: " + run.logText());
  }

  static Set<String> tempEntries(Path folder) throws IOException {
    try (Stream<Path> entries = Files.list(folder)) {
      return entries
          .map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith(ModelIO.TEMP_PREFIX))
          .collect(Collectors.toCollection(TreeSet::new));
    }
  }

  /** Staging folders that were not there before this run started. */
  static boolean stagingAppeared(Path folder, Set<String> before) throws IOException {
    for (String name : tempEntries(folder)) {
      if (!before.contains(name)) {
        return true;
      }
    }
    return false;
  }

  /** True when the process has memory-mapped the input (it has started reading). */
  static boolean hasMapped(Process process, Path input) {
    try {
      return Files.readString(Path.of("/proc", Long.toString(process.pid()), "maps"))
          .contains(input.toString());
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  // ---------------------------------------------------------------- checking the output

  /**
   * Checks what the output folder holds and returns "absent" or the graph name of the complete
   * rewrite it holds; fails on anything else.
   */
  static String checkOutput(Path folder, boolean external) throws IOException {
    Path model = folder.resolve("model.onnx");
    Path data = folder.resolve("model.onnx.data");
    try (Stream<Path> entries = Files.list(folder)) {
      for (Path entry : entries.toList()) {
        String name = entry.getFileName().toString();
        // model.onnx.1.data: the alternate name a write uses while the installed model reads
        // model.onnx.data
        boolean expected =
            name.equals("model.onnx")
                || (external
                    && (name.equals("model.onnx.data") || name.equals("model.onnx.1.data")))
                || name.startsWith(ModelIO.TEMP_PREFIX);
        assertTrue(expected, "unexpected entry left in the output folder: " + name);
      }
    }
    if (!Files.exists(model)) {
      assertFalse(
          Files.exists(data) || Files.exists(folder.resolve("model.onnx.1.data")),
          "a data file was left without its model");
      return "absent";
    }
    try (OnnxModel written = ModelIO.read(model)) {
      String identity = written.proto().getGraph().getName();
      OnnxModel input = READ_INPUTS.get(identity);
      assertTrue(input != null, "output graph name '" + identity + "' is not one of the inputs'");
      List<TensorProto> initializers = written.proto().getGraph().getInitializerList();
      assertEquals(
          List.of("emb"),
          initializers.stream().map(TensorProto::getName).toList(),
          "initializers of the rewrite");
      assertEquals(external, Tensors.isExternal(initializers.get(0)), "external layout of emb");
      assertTrue(
          written.proto().getGraph().getNodeList().stream()
              .map(NodeProto::getOpType)
              .anyMatch("Transpose"::equals),
          "the rewrite reads emb through a Transpose");
      ByteString bytes = written.rawBytes(initializers.get(0));
      ByteString original = input.rawBytes(input.proto().getGraph().getInitializer(0));
      assertEquals(original.size(), bytes.size(), "bytes of emb in the output of " + identity);
      assertTrue(
          Tensors.view(original).equals(Tensors.view(bytes)),
          "emb of the output model "
              + identity
              + " does not hold that input's bytes"
              + (external ? " (the model was paired with another write's data file)" : ""));
      return identity;
    } catch (OnnxTieException e) {
      fail("the output " + model + " exists but does not read: " + e.getMessage(), e);
      return null;
    }
  }

  // ---------------------------------------------------------------- kill rounds

  /** Where a kill landed, and what it left. */
  record Kill(String phase, String outcome, int leftovers) {}

  static final class Timing {
    long mapMillis;
    long stageMillis;
    long endMillis;
  }

  /**
   * Runs a command unkilled and times it: when it has mapped the input (reading starts), when a new
   * staging folder appears (writing starts) and when it ends. Each kill round aims with the timing
   * of the run before it, so the aim follows the machine (cold or warm file cache).
   */
  static Timing timedRun(List<String> command, Path folder, Path input, String what)
      throws Exception {
    Set<String> before = tempEntries(folder);
    Run run = start(command);
    Timing timing = new Timing();
    timing.mapMillis = -1;
    timing.stageMillis = -1;
    while (run.process().isAlive()) {
      if (timing.mapMillis < 0 && hasMapped(run.process(), input)) {
        timing.mapMillis = run.millis();
      }
      if (timing.stageMillis < 0 && stagingAppeared(folder, before)) {
        timing.stageMillis = run.millis();
      }
      Thread.sleep(2);
    }
    timing.endMillis = run.millis();
    finishNormally(run, what);
    if (timing.stageMillis < 0) {
      timing.stageMillis = timing.endMillis / 2;
    }
    if (timing.mapMillis < 0 || timing.mapMillis > timing.stageMillis) {
      timing.mapMillis = 0;
    }
    return timing;
  }

  static void killRounds(boolean external) throws Exception {
    long start = System.nanoTime();
    Path folder = Files.createDirectories(work.resolve(external ? "out-external" : "out-single"));
    Path out = folder.resolve("model.onnx");
    Timing timing =
        timedRun(
            rewrite("crash-b", out, external),
            folder,
            INPUTS.get("crash-b"),
            "the first, unkilled run");
    assertEquals("crash-b", checkOutput(folder, external));
    System.out.printf(
        "crash-safe writes (%s): unkilled run %d ms: input mapped after %d ms, staging folder after %d ms%n",
        external ? "external data" : "single file",
        timing.endMillis,
        timing.mapMillis,
        timing.stageMillis);
    Files.delete(out);
    Files.deleteIfExists(folder.resolve("model.onnx.data"));
    int readRounds = Math.max(1, (ROUNDS + 1) / 2);
    int writeRounds = Math.max(1, ROUNDS / 2);
    List<Kill> kills = new ArrayList<>();
    // every phase a kill must land in; rounds go on past ROUNDS (up to 8 more) until one has in
    // each
    List<String> required = List.of("read/hash", "write");
    Set<String> landed = new TreeSet<>();
    for (int round = 0;
        round < Math.max(ROUNDS, 2) || (round < ROUNDS + 8 && !landed.containsAll(required));
        round++) {
      String input = round % 2 == 0 ? "crash-a" : "crash-b";
      String previous = Files.exists(out) ? checkOutput(folder, external) : "absent";
      Set<String> before = tempEntries(folder);
      Run run = start(rewrite(input, out, external));
      boolean staged = false;
      if (round % 2 == 0) {
        long readSpan = timing.stageMillis - timing.mapMillis;
        long delay =
            timing.mapMillis + readSpan * (2L * ((round / 2) % readRounds) + 1) / (2L * readRounds);
        while (run.process().isAlive() && run.millis() < delay) {
          staged |= stagingAppeared(folder, before);
          Thread.sleep(2);
        }
      } else {
        while (run.process().isAlive() && !staged && run.millis() < 60_000) {
          staged = stagingAppeared(folder, before);
          Thread.sleep(2);
        }
        long writeSpan = Math.max(1, timing.endMillis - timing.stageMillis);
        Thread.sleep(writeSpan * (2L * ((round / 2) % writeRounds) + 1) / (2L * writeRounds));
      }
      String phase;
      if (!run.process().isAlive()) {
        phase = "finished";
      } else if (staged || stagingAppeared(folder, before)) {
        phase = "write";
      } else {
        phase = hasMapped(run.process(), INPUTS.get(input)) ? "read/hash" : "startup";
      }
      run.process().destroyForcibly();
      assertTrue(run.process().waitFor(1, TimeUnit.MINUTES), "killed process did not end");
      int code = run.process().exitValue();
      assertTrue(
          code == 0 || code == 137,
          "the run failed on its own (exit " + code + "): " + run.logText());
      String outcome = checkOutput(folder, external);
      if (code == 0) {
        assertEquals(input, outcome, "a run that finished before its kill left another output");
      }
      String verdict = outcome.equals("absent") ? "absent" : outcome.equals(input) ? "new" : "old";
      assertTrue(
          verdict.equals("new") || outcome.equals(previous),
          "after the kill the output is " + outcome + ", before it " + previous);
      Set<String> leftovers = tempEntries(folder);
      leftovers.removeAll(before);
      kills.add(new Kill(phase, verdict, leftovers.size()));
      landed.add(phase);

      timing =
          normalRunRemovesAgedLeftovers(folder, rewrite(input, out, external), INPUTS.get(input));
      assertEquals(input, checkOutput(folder, external), "output of the normal run after the kill");
    }
    Map<String, Long> byPhase =
        kills.stream()
            .collect(
                Collectors.groupingBy(
                    k ->
                        k.phase() + " -> " + k.outcome() + (k.leftovers() > 0 ? " + leftover" : ""),
                    TreeMap::new,
                    Collectors.counting()));
    System.out.printf(
        "crash-safe writes (%s): %d kills, phase -> output: %s; %.1f s%n",
        external ? "external data" : "single file",
        kills.size(),
        byPhase,
        (System.nanoTime() - start) / 1e9);
    assertTrue(
        landed.containsAll(required),
        "kills must land while reading/hashing and while writing; they landed: " + byPhase);
    OnnxChecker.check(out);
  }

  /**
   * Ages every leftover by two minutes, adds an aged staging folder of its own, runs the command
   * unkilled and checks that no staging folder remains: the aged ones were removed, the run's own
   * was cleaned up. (Plain files with the prefix, such as a lock file, are allowed to stay.)
   *
   * @return the run's timing
   */
  static Timing normalRunRemovesAgedLeftovers(Path folder, List<String> command, Path input)
      throws Exception {
    Path agedDecoy = Files.createDirectory(folder.resolve(ModelIO.TEMP_PREFIX + "aged-decoy"));
    Files.write(agedDecoy.resolve("model.onnx"), new byte[] {8, 1});
    FileTime aged = FileTime.fromMillis(System.currentTimeMillis() - AGED_MILLIS);
    for (String leftover : tempEntries(folder)) {
      Files.setLastModifiedTime(folder.resolve(leftover), aged);
    }
    Timing timing = timedRun(command, folder, input, "the normal run after a kill");
    assertEquals(Set.of(), stagingFolders(folder), "staging folders left after a normal run");
    return timing;
  }

  static Set<String> stagingFolders(Path folder) throws IOException {
    Set<String> folders = tempEntries(folder);
    folders.removeIf(name -> !Files.isDirectory(folder.resolve(name)));
    return folders;
  }

  @Test
  void killedSingleFileWriteLeavesNoOutputOrAWholeModel() throws Exception {
    killRounds(false);
  }

  @Test
  void killedExternalDataWriteKeepsModelAndDataConsistent() throws Exception {
    killRounds(true);
  }

  // ---------------------------------------------------------------- concurrent writers

  /**
   * Pairs of processes writing one output at once, cycling through: one file from the same input,
   * external data from the same input, external data from two different inputs.
   */
  @Test
  void concurrentWritersOfOneOutputBothSucceed() throws Exception {
    long start = System.nanoTime();
    Map<String, Long> outcomes = new TreeMap<>();
    for (int pair = 0; pair < ROUNDS; pair++) {
      int kind = pair % 3;
      boolean external = kind > 0;
      String first = "crash-a";
      String second = kind == 2 ? "crash-b" : "crash-a";
      Path folder = Files.createDirectories(work.resolve("concurrent-" + pair));
      Path out = folder.resolve("model.onnx");
      Run one = start(rewrite(first, out, external));
      Run two = start(rewrite(second, out, external));
      finishNormally(one, "the first of two concurrent writers");
      finishNormally(two, "the second of two concurrent writers");
      String outcome = checkOutput(folder, external);
      assertTrue(outcome.equals(first) || outcome.equals(second), "the output is " + outcome);
      assertEquals(Set.of(), stagingFolders(folder), "concurrent writers left staging folders");
      assertEquals(Set.of(), tempEntries(folder), "concurrent writers left their commit lock file");
      String label =
          (external ? "external " : "single ")
              + (first.equals(second) ? "same input" : "two inputs");
      outcomes.merge(label + " -> " + outcome, 1L, Long::sum);
      deleteFolder(folder);
    }
    System.out.printf(
        "crash-safe writes: %d concurrent pairs, all exit 0, outputs: %s; %.1f s%n",
        ROUNDS, outcomes, (System.nanoTime() - start) / 1e9);
  }

  /**
   * Ctrl-C (SIGINT) while a write is staged: the JVM's shutdown hook removes the staging folder,
   * and the output is absent or whole. Each round interrupts once the staging folder has appeared.
   */
  @Test
  void interruptedWriteRemovesItsStagingFolder() throws Exception {
    int stagedInterrupts = 0;
    for (int round = 0; round < ROUNDS; round++) {
      boolean external = round % 2 == 1;
      Path folder = Files.createDirectories(work.resolve("interrupted-" + round));
      Run run = start(rewrite("crash-a", folder.resolve("model.onnx"), external));
      while (run.process().isAlive() && tempEntries(folder).isEmpty()) {
        Thread.sleep(2);
      }
      boolean staged = run.process().isAlive();
      new ProcessBuilder("kill", "-INT", Long.toString(run.process().pid())).start().waitFor();
      assertTrue(run.process().waitFor(2, TimeUnit.MINUTES), "an interrupted writer did not exit");
      stagedInterrupts += staged ? 1 : 0;
      checkOutput(folder, external);
      assertEquals(
          Set.of(),
          tempEntries(folder),
          "an interrupted writer left " + tempEntries(folder) + "; " + run.logText());
      deleteFolder(folder);
    }
    assertTrue(stagedInterrupts > 0, "no interrupt landed while a write was staged");
  }

  static void deleteFolder(Path folder) throws IOException {
    try (Stream<Path> entries = Files.walk(folder)) {
      for (Path entry : entries.sorted((x, y) -> y.compareTo(x)).toList()) {
        Files.delete(entry);
      }
    }
  }
}
