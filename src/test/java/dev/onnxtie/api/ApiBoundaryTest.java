package dev.onnxtie.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.onnxtie.cli.OnnxTieCli;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.module.ModuleDescriptor;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.spi.ToolProvider;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The library's boundary, read from the compiled classes: the CLI references no class outside
 * {@code dev.onnxtie} and {@code dev.onnxtie.api} (jdeps, the JDK's own dependency reader), and no
 * public signature of the api names a type from another package of this tool, nor a protobuf type.
 * The compiled {@code module-info.java} exports those two packages only; the tests run on the class
 * path (as the launcher runs the tool), so these checks hold the boundary there too.
 */
class ApiBoundaryTest {

  /** The compiled classes of the tool: {@code target/classes}. */
  static Path classes() throws URISyntaxException {
    return Path.of(OnnxTieCli.class.getProtectionDomain().getCodeSource().getLocation().toURI());
  }

  /** True for a class the api exports: the root package or {@code dev.onnxtie.api}. */
  static boolean exported(String className) {
    int dot = className.lastIndexOf('.');
    String pkg = dot < 0 ? "" : className.substring(0, dot);
    return pkg.equals("dev.onnxtie") || pkg.equals("dev.onnxtie.api");
  }

  /**
   * The classes of this tool ({@code dev.onnxtie.*}) outside the exported packages that the given
   * class files or folders reference, as jdeps lists them: {@code from -> to}.
   */
  static List<String> unexportedReferences(List<Path> classFiles) {
    ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow();
    StringWriter out = new StringWriter();
    List<String> arguments = new ArrayList<>(List.of("-verbose:class", "-e", "dev\\.onnxtie\\..*"));
    classFiles.forEach(file -> arguments.add(file.toString()));
    int code =
        jdeps.run(
            new PrintWriter(out, true),
            new PrintWriter(new StringWriter(), true),
            arguments.toArray(String[]::new));
    assertEquals(0, code, "jdeps ran: " + out);
    List<String> found = new ArrayList<>();
    for (String line : out.toString().split("\n")) {
      String[] words = line.trim().split("\\s+");
      if (words.length >= 3 && words[1].equals("->") && words[0].startsWith("dev.onnxtie.")) {
        String target = words[2];
        if (target.startsWith("dev.onnxtie.") && !exported(target)) {
          found.add(words[0] + " -> " + target);
        }
      }
    }
    assertTrue(
        out.toString().contains("->"), "jdeps listed the classes' dependencies at all: " + out);
    return found;
  }

  static List<Path> classFilesUnder(Path folder) throws IOException {
    try (Stream<Path> files = Files.walk(folder)) {
      return files.filter(file -> file.toString().endsWith(".class")).sorted().toList();
    }
  }

  /** The compiled {@code module-info.java} exports the api and the root package, nothing else. */
  @Test
  void theModuleExportsOnlyTheApiAndTheRootPackage() throws Exception {
    ModuleDescriptor module;
    try (InputStream in = Files.newInputStream(classes().resolve("module-info.class"))) {
      module = ModuleDescriptor.read(in);
    }
    assertEquals("dev.onnxtie", module.name());
    assertEquals(
        Set.of("dev.onnxtie", "dev.onnxtie.api"),
        module.exports().stream()
            .map(ModuleDescriptor.Exports::source)
            .collect(Collectors.toSet()));
    assertTrue(
        module.exports().stream().noneMatch(ModuleDescriptor.Exports::isQualified),
        module.exports().toString());
  }

  @Test
  void theCliReferencesOnlyTheApiAndTheRootPackage() throws Exception {
    List<Path> cli = classFilesUnder(classes().resolve("dev/onnxtie/cli"));
    assertTrue(cli.size() > 10, "the CLI's classes were found: " + cli);
    assertEquals(List.of(), unexportedReferences(cli));
  }

  /**
   * The test that calls the api as a Java user does ({@code dev.onnxtie.apiuser.ApiUsageTest}) sees
   * only what the library exports: its compiled classes reference no other class of this tool.
   */
  @Test
  void theApiUsersTestSeesOnlyExportedPackages() throws Exception {
    Path tests =
        Path.of(ApiBoundaryTest.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<Path> user = classFilesUnder(tests.resolve("dev/onnxtie/apiuser"));
    assertTrue(user.size() >= 1, "the api user's test was compiled: " + user);
    assertEquals(List.of(), unexportedReferences(user));
  }

  @Test
  void publicApiSignaturesNameOnlyExportedAndJdkTypes() throws Exception {
    List<String> leaks = new ArrayList<>();
    List<Path> api = new ArrayList<>(classFilesUnder(classes().resolve("dev/onnxtie/api")));
    try (Stream<Path> root = Files.list(classes().resolve("dev/onnxtie"))) {
      root.filter(file -> file.toString().endsWith(".class")).forEach(api::add);
    }
    int checked = 0;
    for (Path file : api) {
      String relative = classes().relativize(file).toString();
      String name = relative.substring(0, relative.length() - ".class".length()).replace('/', '.');
      Class<?> type = Class.forName(name, false, getClass().getClassLoader());
      if (!visible(type)) {
        continue;
      }
      checked++;
      for (Method method : type.getDeclaredMethods()) {
        if (Modifier.isPublic(method.getModifiers()) && !method.isSynthetic()) {
          check(leaks, method.toGenericString(), method.getGenericReturnType());
          checkExecutable(leaks, method);
        }
      }
      for (Constructor<?> constructor : type.getDeclaredConstructors()) {
        if (Modifier.isPublic(constructor.getModifiers())) {
          checkExecutable(leaks, constructor);
        }
      }
      for (Field field : type.getDeclaredFields()) {
        if (Modifier.isPublic(field.getModifiers())) {
          check(leaks, field.toGenericString(), field.getGenericType());
        }
      }
      if (type.isRecord()) {
        for (RecordComponent component : type.getRecordComponents()) {
          check(leaks, type.getName() + "." + component.getName(), component.getGenericType());
        }
      }
      for (Type parent : type.getGenericInterfaces()) {
        check(leaks, type.getName() + " implements", parent);
      }
      if (type.getGenericSuperclass() != null) {
        check(leaks, type.getName() + " extends", type.getGenericSuperclass());
      }
    }
    assertTrue(checked > 20, "the api's public types were read: " + checked);
    assertEquals(List.of(), leaks);
  }

  /** Public, and every class it is nested in public too. */
  private static boolean visible(Class<?> type) {
    for (Class<?> t = type; t != null; t = t.getDeclaringClass()) {
      if (!Modifier.isPublic(t.getModifiers())) {
        return false;
      }
    }
    return !type.isAnonymousClass() && !type.isSynthetic();
  }

  private static void checkExecutable(List<String> leaks, Executable executable) {
    for (Type parameter : executable.getGenericParameterTypes()) {
      check(leaks, executable.toGenericString(), parameter);
    }
    for (Type thrown : executable.getGenericExceptionTypes()) {
      check(leaks, executable.toGenericString(), thrown);
    }
  }

  /** Adds {@code where} to {@code leaks} when {@code type} names a class outside the boundary. */
  private static void check(List<String> leaks, String where, Type type) {
    TreeSet<String> names = new TreeSet<>();
    collect(type, names);
    for (String name : names) {
      boolean jdk = name.startsWith("java.");
      // TiedSession hands out an ONNX Runtime session (issue 23 asks for exactly that); no other
      // api
      // type names ONNX Runtime's classes
      boolean ortSession =
          name.startsWith("ai.onnxruntime.") && where.contains("dev.onnxtie.api.TiedSession");
      if (!jdk && !ortSession && !exported(name)
          || name.contains("protobuf")
          || name.startsWith("dev.onnxtie.proto")) {
        leaks.add(where + " names " + name);
      }
    }
  }

  private static void collect(Type type, TreeSet<String> names) {
    if (type instanceof Class<?> c) {
      while (c.isArray()) {
        c = c.getComponentType();
      }
      if (!c.isPrimitive()) {
        Class<?> outer = c;
        while (outer.getDeclaringClass() != null) {
          outer = outer.getDeclaringClass();
        }
        names.add(outer.getName());
      }
    } else if (type instanceof ParameterizedType p) {
      collect(p.getRawType(), names);
      for (Type argument : p.getActualTypeArguments()) {
        collect(argument, names);
      }
    } else if (type instanceof GenericArrayType a) {
      collect(a.getGenericComponentType(), names);
    } else if (type instanceof WildcardType w) {
      for (Type bound : w.getUpperBounds()) {
        collect(bound, names);
      }
      for (Type bound : w.getLowerBounds()) {
        collect(bound, names);
      }
    } else if (type instanceof TypeVariable<?> v) {
      for (Type bound : v.getBounds()) {
        collect(bound, names);
      }
    }
  }
}
