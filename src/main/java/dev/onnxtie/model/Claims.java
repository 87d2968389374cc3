package dev.onnxtie.model;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The file names that writes of this process put straight into a folder it owns (a new output
 * folder being built: {@link Staging}'s direct writes), by folder. Two writes never take one name;
 * a staged commit into the folder holds this object's monitor and takes a claimed name as read by
 * another model; a write that needs an explicit data file name another write claimed waits until
 * that write is committed or closed, so that the outcome is the one of some order of the writes one
 * after the other, whatever {@code --jobs} says.
 */
final class Claims {
  private static final Map<Path, Claims> BY_FOLDER = new ConcurrentHashMap<>();

  /** Names of files direct writes wrote (and a model may read) or are writing. */
  private final Set<String> names = new HashSet<>();

  /** The names of direct writes not yet committed or closed. */
  private final Set<String> inFlight = new HashSet<>();

  private Claims() {}

  private static Path key(Path folder) {
    return folder.toAbsolutePath().normalize();
  }

  /** The claims in {@code folder}; null where no direct write claimed anything. */
  static Claims in(Path folder) {
    return BY_FOLDER.get(key(folder));
  }

  /** Forgets the claims in {@code folder}: it is no longer owned. */
  static void forget(Path folder) {
    BY_FOLDER.remove(key(folder));
  }

  /**
   * Claims {@code names} in {@code folder} for a write in flight when none of them is in the folder
   * or claimed; the folder's claims then, null otherwise.
   */
  static Claims claim(Path folder, Set<String> names) {
    if (names.isEmpty()) {
      return null;
    }
    Claims claims = BY_FOLDER.computeIfAbsent(key(folder), f -> new Claims());
    synchronized (claims) {
      for (String name : names) {
        if (claims.names.contains(name)
            || Files.exists(folder.resolve(name), LinkOption.NOFOLLOW_LINKS)) {
          return null;
        }
      }
      claims.names.addAll(names);
      claims.inFlight.addAll(names);
      return claims;
    }
  }

  /** The write of {@code written} was committed: its files stay claimed, no longer in flight. */
  synchronized void committed(Set<String> written) {
    inFlight.removeAll(written);
    notifyAll();
  }

  /**
   * {@code released} are free again: the write was closed uncommitted (its files deleted), or a
   * data file it wrote is read by no model (a later write may replace it, as one after the other).
   */
  synchronized void release(Set<String> released) {
    names.removeAll(released);
    inFlight.removeAll(released);
    notifyAll();
  }

  /** True when {@code name} is claimed (written or being written by a direct write). */
  synchronized boolean contains(String name) {
    return names.contains(name);
  }

  /**
   * Waits until no write in flight holds {@code name}, then tells whether it stays claimed (a
   * committed write's file that its model reads).
   */
  synchronized boolean containsOnceSettled(String name) {
    while (inFlight.contains(name)) {
      try {
        wait();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return true; // interrupted (the run is failing): taken, nothing more is written
      }
    }
    return names.contains(name);
  }
}
