// Every test file's temp folders go when it ends, whether or not its own hooks removed them: runs
// of the suite left hundreds behind in the system temp dir.
import { afterAll } from 'vitest'
import { removeFileTempDirs } from '../helpers/temp'

afterAll(() => removeFileTempDirs())
