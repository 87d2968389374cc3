package dev.onnxtie.api;

import dev.onnxtie.OnnxTieException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/** Maps a list with a fixed number of threads, keeping the input order in the results. */
final class Parallel {
  private Parallel() {}

  static <T, R> List<R> map(List<T> items, int jobs, Progress progress, Function<T, R> work) {
    if (jobs < 1) {
      throw OnnxTieException.badInput("--jobs must be at least 1, not " + jobs);
    }
    AtomicInteger done = new AtomicInteger();
    if (jobs == 1 || items.size() < 2) {
      List<R> results = new ArrayList<>();
      for (T item : items) {
        results.add(work.apply(item));
        step(progress, item, done, items.size());
      }
      return results;
    }
    ExecutorService pool = Executors.newFixedThreadPool(Math.min(jobs, items.size()));
    try {
      List<Future<R>> futures = new ArrayList<>();
      for (T item : items) {
        futures.add(
            pool.submit(
                () -> {
                  R result = work.apply(item);
                  step(progress, item, done, items.size());
                  return result;
                }));
      }
      List<R> results = new ArrayList<>();
      for (Future<R> future : futures) {
        results.add(future.get());
      }
      return results;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      if (e.getCause() instanceof Error error) {
        throw error;
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OnnxTieException(OnnxTieException.INTERNAL, "interrupted");
    } finally {
      pool.shutdownNow();
      // a failed item ends the run: the others stop at their next interruption point or finish,
      // before the caller removes what they were writing into (a new output folder)
      awaitWorkers(pool);
    }
  }

  /** Counts one item done and says so; the count and the call together, so counts never go back. */
  private static void step(Progress progress, Object item, AtomicInteger done, int total) {
    synchronized (done) {
      progress.step(item.toString(), done.incrementAndGet(), total);
    }
  }

  private static void awaitWorkers(ExecutorService pool) {
    boolean interrupted = false;
    while (true) {
      try {
        if (pool.awaitTermination(1, TimeUnit.SECONDS)) {
          break;
        }
      } catch (InterruptedException e) {
        interrupted = true; // Ctrl-C: the workers are told already; wait for them all the same
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
