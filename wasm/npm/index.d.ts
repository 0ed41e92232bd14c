// Types of the package for `import` (an ES module declaration file): the same
// declarations as `index.d.cts`.
export * from "./index.cjs";
