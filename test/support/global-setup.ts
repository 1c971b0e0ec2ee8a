// Starts the real services the tests use (filled in as services are added).
export default async function setup(): Promise<() => Promise<void>> {
  return async () => {};
}
