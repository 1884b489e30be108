// Types of rich-bundle.js, for the test that evaluates it.
export const richBundleFiles: { path: string; text: string }[];
