// The app's folder is its root (the repository around it has lockfiles of its own).
const root = import.meta.dirname;

export default {
  turbopack: { root },
  outputFileTracingRoot: root,
};
