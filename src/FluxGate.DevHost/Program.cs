Console.Error.WriteLine("FluxGate.DevHost: under construction.");
return 1;
