package dev.onnxtie.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.cli.OnnxTieCli;
import dev.onnxtie.model.ExternalDataTestAccess;
import dev.onnxtie.model.FileOps;
import dev.onnxtie.model.ModelIO;
import dev.onnxtie.model.OnnxModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A free-space sweep on a small tmpfs: an in-place external-data rewrite with every amount of free
 * space from none to enough, in steps of a page, so that the disk fills at every step of a write,
 * the commit's lock file included. Each run succeeds or fails with one line (exit 2); the input
 * stays whole or is the complete rewrite; no {@code .onnx-tie-*} entry stays after the run, the
 * commit lock file included. Needs root to mount the tmpfs (CI runs as root); skipped otherwise.
 */
class DiskFullTest {
  static final long PAGE = 4096;

  @TempDir Path dir;

  static int run(StringWriter err, String... args) {
    return OnnxTieCli.run(
        new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), args);
  }

  static boolean command(String... args) throws Exception {
    Process process = new ProcessBuilder(args).redirectErrorStream(true).start();
    process.getInputStream().readAllBytes();
    return process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0;
  }

  static List<String> leftovers(Path folder) throws IOException {
    try (Stream<Path> entries = Files.list(folder)) {
      return entries
          .map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith(".onnx-tie-"))
          .sorted()
          .toList();
    }
  }

  /**
   * Takes all free space of the file system but {@code leave} bytes (allocated, not sparse), or all
   * there is. Pages of removed files that this JVM still maps are counted used until the mappings
   * are collected, and free a moment later: so the filler is topped up until the space left is at
   * most {@code leave} (a run once found the 16 MiB tmpfs with room to spare after "filling" it,
   * and the rewrite that should have been refused succeeded).
   */
  static void fill(Path filler, long leave) throws IOException, InterruptedException {
    try (FileChannel channel =
        FileChannel.open(filler, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ByteBuffer block = ByteBuffer.allocate(1 << 16);
      for (int round = 0; round < 10; round++) {
        long size = Files.getFileStore(filler.getParent()).getUsableSpace() - leave;
        if (size <= 0) {
          return;
        }
        for (long written = 0; written < size; ) {
          block.clear().limit((int) Math.min(block.capacity(), size - written));
          try {
            written += channel.write(block);
          } catch (IOException e) {
            break; // full already
          }
        }
        System.gc(); // the mappings of removed files go, and their pages are free again
        Thread.sleep(20);
      }
    }
  }

  @Test
  void everyAmountOfFreeSpaceGivesAWholeResultAndNoLeftovers() throws Exception {
    boolean root =
        "0"
            .equals(
                new String(new ProcessBuilder("id", "-u").start().getInputStream().readAllBytes())
                    .trim());
    Path mount = Files.createDirectories(dir.resolve("tmpfs"));
    Assumptions.assumeTrue(
        root && command("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", mount.toString()),
        "the disk-full sweep needs root to mount a tmpfs (CI runs as root); skipped");
    try {
      Path folder = mount.resolve("m");
      Path model = ExternalDataTestAccess.copySampleInto(folder);
      long before = Files.getFileStore(mount).getUsableSpace();
      assertEquals(0, run(new StringWriter(), "rewrite", model.toString(), model.toString()));
      Map<String, Integer> outcomes = new TreeMap<>();
      // four pages at a time up to the first success, then back and page by page through the last
      // steps of the write (the last files, the commit's lock), until four runs in a row succeed
      long step = 4 * PAGE;
      int successes = 0;
      for (long leave = 0; successes < 4; leave += step) {
        FileOps.deleteTree(folder);
        System.gc(); // mappings of removed files hold their pages until they are collected
        Thread.sleep(5);
        ExternalDataTestAccess.copySampleInto(folder);
        Path filler = mount.resolve("filler");
        fill(filler, leave);
        StringWriter err = new StringWriter();
        int code = run(err, "rewrite", model.toString(), model.toString());
        Files.delete(filler);
        String what = "with " + leave + " bytes free: ";
        assertTrue(code == 0 || code == 2, what + "exit " + code + ": " + err);
        if (code == 2) {
          assertEquals(1, err.toString().lines().count(), what + err);
        }
        assertEquals(List.of(), leftovers(folder), what + "exit " + code + ", " + err);
        if (code == 0 && step > PAGE) {
          leave -= 2 * step; // the loop adds one step back
          step = PAGE;
          continue;
        }
        successes = code == 0 ? successes + 1 : 0;
        try (OnnxModel read = ModelIO.read(model)) {
          for (var tensor : read.proto().getGraph().getInitializerList()) {
            read.rawBytes(tensor);
          }
          outcomes.merge(
              (code == 0 ? "rewritten" : "refused")
                  + ", "
                  + read.proto().getGraph().getInitializerCount()
                  + " initializers",
              1,
              Integer::sum);
        }
      }
      System.out.printf(
          "disk-full sweep on a 16 MiB tmpfs (%d bytes free at the start): %s%n", before, outcomes);
      assertTrue(
          outcomes.keySet().stream().anyMatch(k -> k.startsWith("refused"))
              && outcomes.keySet().stream().anyMatch(k -> k.startsWith("rewritten")),
          "the sweep must cover failures and successes: " + outcomes);
    } finally {
      command("umount", "-l", mount.toString()); // lazily: this JVM may still map files of it
    }
  }
}
