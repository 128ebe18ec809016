import { defineConfig } from 'drizzle-kit'

// drizzle-kit requires a default export.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/store/schema/index.ts',
  out: './migrations',
  casing: 'snake_case',
  strict: true,
  verbose: true
})
