// The namespaces nearly every file of the task assembly uses; each file names only the others.
global using System;
global using System.Collections.Generic;
global using System.Linq;
global using System.Threading;
global using System.Threading.Tasks;
